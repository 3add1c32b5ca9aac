import { BASE_PAYLOAD_BYTES, IN_FLIGHT, WORKER_PROCESSES } from './options.js';
import type { Measurement, Results, Target } from './results.js';
import { round } from './stats.js';
import { SYSTEMS } from './systems/index.js';
import type { SystemName } from './systems/system.js';

/** Finds one measurement; undefined when that configuration was not run. */
export function find(
  ms: readonly Measurement[],
  system: SystemName,
  q: { workers?: number; inFlight: number; payloadBytes?: number; cpuBound?: boolean },
): Measurement | undefined {
  return ms.find(
    (m) =>
      m.system === system &&
      m.workers === (q.workers ?? 1) &&
      m.inFlight === q.inFlight &&
      m.payloadBytes === (q.payloadBytes ?? BASE_PAYLOAD_BYTES) &&
      m.cpuBound === (q.cpuBound ?? false),
  );
}

function bytesLabel(bytes: number): string {
  if (bytes >= 1_000_000) return `${bytes / 1_000_000} MB`;
  if (bytes >= 1000) return `${bytes / 1000} KB`;
  return `${bytes} B`;
}

function fmt(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : String(round(value));
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !(b > 0)) return '—';
  return `${round(a / b, 2)}×`;
}

interface Row {
  label: string;
  values: Map<SystemName, number | undefined>;
}

function rows(results: Results): Row[] {
  const ms = results.measurements;
  const { sweepInFlight, payloadBytes } = {
    sweepInFlight: results.meta.settings.sweepInFlight,
    payloadBytes: [...new Set(ms.filter((m) => m.workers === 1 && !m.cpuBound && m.inFlight === results.meta.settings.sweepInFlight).map((m) => m.payloadBytes))].sort((a, b) => a - b),
  };
  const row = (label: string, pick: (s: SystemName) => number | undefined): Row => ({
    label,
    values: new Map(SYSTEMS.map((s) => [s.name, pick(s.name)])),
  });
  const out: Row[] = [
    row('sequential p50, ms', (s) => find(ms, s, { inFlight: 1 })?.p50Ms),
    row('sequential p99, ms', (s) => find(ms, s, { inFlight: 1 })?.p99Ms),
  ];
  for (const workers of WORKER_PROCESSES) {
    for (const inFlight of IN_FLIGHT) {
      out.push(row(`calls/s, ${inFlight} in flight, ${workers} worker${workers > 1 ? 's' : ''}`, (s) => find(ms, s, { workers, inFlight })?.callsPerSec));
    }
  }
  for (const bytes of payloadBytes) {
    out.push(row(`calls/s, ${bytesLabel(bytes)} payload, ${sweepInFlight} in flight`, (s) => find(ms, s, { inFlight: sweepInFlight, payloadBytes: bytes })?.callsPerSec));
  }
  for (const workers of WORKER_PROCESSES) {
    out.push(
      row(`calls/s, CPU-bound, ${workers} worker${workers > 1 ? 's' : ''}`, (s) => find(ms, s, { workers, inFlight: sweepInFlight, cpuBound: true })?.callsPerSec),
    );
  }
  const parts = [
    ['client', (m: Measurement) => m.cpuUsPerCall.clientUs],
    ['worker', (m: Measurement) => m.cpuUsPerCall.workersUs],
    ['Redis', (m: Measurement) => m.cpuUsPerCall.redisUs],
    ['total', (m: Measurement) => m.cpuUsPerCall.clientUs + m.cpuUsPerCall.workersUs + m.cpuUsPerCall.redisUs],
  ] as const;
  for (const [part, pick] of parts) {
    out.push(row(`CPU µs per call, 1000 in flight: ${part}`, (s) => {
      const m = find(ms, s, { inFlight: 1000 });
      return m ? pick(m) : undefined;
    }));
  }
  out.push(row('CPU outside the bench processes, cores, 1000 in flight', (s) => find(ms, s, { inFlight: 1000 })?.cpuUsPerCall.otherCores));
  out.push(row('smallest worker share, 2 workers, 1000 in flight', (s) => find(ms, s, { workers: 2, inFlight: 1000 })?.minWorkerShare));
  out.push(row('smallest worker share, 2 workers, CPU-bound', (s) => find(ms, s, { workers: 2, inFlight: sweepInFlight, cpuBound: true })?.minWorkerShare));
  out.push(
    row('CPU-bound growth 1→2 workers', (s) => {
      const one = find(ms, s, { workers: 1, inFlight: sweepInFlight, cpuBound: true })?.callsPerSec;
      const two = find(ms, s, { workers: 2, inFlight: sweepInFlight, cpuBound: true })?.callsPerSec;
      return one && two ? two / one : undefined;
    }),
  );
  return out;
}

function table(headers: readonly string[], body: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The one printed table: every system side by side, taskwire's ratios to BullMQ and the ceiling. */
export function formatReport(results: Results): string {
  const headers = ['metric', ...SYSTEMS.map((s) => s.label), 'key/BullMQ', 'key/ceiling', 'pubsub/BullMQ', 'pubsub/ceiling'];
  const body = rows(results).map((r) => {
    const v = (s: SystemName) => r.values.get(s);
    return [
      r.label,
      ...SYSTEMS.map((s) => fmt(v(s.name))),
      ratio(v('taskwire-key'), v('bullmq')),
      ratio(v('taskwire-key'), v('ceiling')),
      ratio(v('taskwire-pubsub'), v('bullmq')),
      ratio(v('taskwire-pubsub'), v('ceiling')),
    ];
  });
  const mem = table(
    ['taskwire client memory', 'key', 'pubsub'],
    [
      ['RSS idle, MB', ...results.clientMemory.map((c) => fmt(c.baselineRssMb))],
      [`RSS with ${results.clientMemory[0]?.inFlight ?? '?'} in flight, MB`, ...results.clientMemory.map((c) => fmt(c.inFlightRssMb))],
      ['  heap used then, MB', ...results.clientMemory.map((c) => fmt(c.inFlightHeapMb))],
      ['  of which live (after GC), MB', ...results.clientMemory.map((c) => fmt(c.inFlightLiveHeapMb))],
      [`heap after ${results.clientMemory[0]?.checkpointCalls ?? '?'} calls, MB`, ...results.clientMemory.map((c) => fmt(c.heapAtCheckpointMb))],
      [`heap after ${results.clientMemory[0]?.totalCalls ?? '?'} calls, MB`, ...results.clientMemory.map((c) => fmt(c.heapAtTotalMb))],
      ['heap growth', ...results.clientMemory.map((c) => `${(c.heapGrowth * 100).toFixed(1)}%`)],
    ],
  );
  const redis = table(
    ['Redis memory per queued call', 'bytes'],
    results.redisMemory.map((r) => [SYSTEMS.find((s) => s.name === r.system)?.label ?? r.system, fmt(r.bytesPerCall)]),
  );
  const sched = results.scheduling;
  const scheduling = sched
    ? [
        table(
          [`scheduling, ${sched.inFlight} in flight (client and worker in one process)`, 'calls/s', 'vs FIFO'],
          sched.policies.map((p) => [p.policy, fmt(p.callsPerSec), `${p.vsFifo.toFixed(2)}x`]),
        ),
        table(
          [`wait under a flood, aging ${sched.priorityAgingMs} ms`, 'calls', 'p50 ms', 'p99 ms'],
          sched.priorityWait.map((w) => [`priority ${w.priority}`, String(w.calls), fmt(w.p50Ms), fmt(w.p99Ms)]),
        ),
        `fair groups: Jain's index ${sched.fairness.jain.toFixed(4)} over ${sched.fairness.groups} groups (served ${sched.fairness.served.join(' ')})`,
      ].join('\n\n')
    : '';
  const wf = results.workflows;
  const workflows = wf
    ? table(
        [`workflows, ${wf.inFlight} in flight (client and worker in one process)`, 'calls/s', 'vs plain'],
        wf.features.map((f) => [f.feature, fmt(f.callsPerSec), `${f.vsPlain.toFixed(2)}x`]),
      )
    : '';
  const targets = results.targets.map((t) => `${t.met ? 'MET   ' : 'MISSED'}  ${t.name}: ${t.goal}; measured ${t.measured}`).join('\n');
  const m = results.meta;
  return [
    `taskwire bench (${m.mode}), ${m.startedAt}, ${m.durationSec} s; node ${m.node}, Redis ${m.redis}, ${m.cpus} × ${m.cpuModel}`,
    m.note,
    `medians of ${m.settings.reps} rep(s); worker concurrency ${m.settings.workerConcurrency} per process; payload ${m.settings.basePayloadBytes} B unless stated; CPU-bound = ~${m.settings.cpuWorkMs} ms of work per call at ${m.settings.sweepInFlight} in flight`,
    '',
    table(headers, body),
    '',
    mem,
    '',
    redis,
    '',
    ...(scheduling ? [scheduling, ''] : []),
    ...(workflows ? [workflows, ''] : []),
    targets,
  ].join('\n');
}

/** The targets, judged on this run (one worker process unless stated). */
export function judgeTargets(results: Omit<Results, 'targets'>): Target[] {
  const ms = results.measurements;
  const targets: Target[] = [];
  const sweep = results.meta.settings.sweepInFlight;
  for (const system of ['taskwire-key', 'taskwire-pubsub'] as const) {
    const mode = system === 'taskwire-key' ? 'key' : 'pubsub';
    const tw = find(ms, system, { inFlight: 1000 })?.callsPerSec ?? Number.NaN;
    const bull = find(ms, 'bullmq', { inFlight: 1000 })?.callsPerSec ?? Number.NaN;
    const ceil = find(ms, 'ceiling', { inFlight: 1000 })?.callsPerSec ?? Number.NaN;
    targets.push({ name: `${mode}: throughput at 1,000 in flight vs BullMQ`, goal: '≥ 10×', measured: `${round(tw / bull, 2)}×`, met: tw / bull >= 10 });
    targets.push({ name: `${mode}: throughput at 1,000 in flight vs ceiling`, goal: '≥ 0.5×', measured: `${round(tw / ceil, 2)}×`, met: tw / ceil >= 0.5 });
    const seq = find(ms, system, { inFlight: 1 });
    const bullSeq = find(ms, 'bullmq', { inFlight: 1 });
    const r = (seq?.p50Ms ?? Number.NaN) / (bullSeq?.p50Ms ?? Number.NaN);
    targets.push({ name: `${mode}: sequential p50 vs BullMQ`, goal: '≤ 0.25×', measured: `${round(r, 2)}× (${round(seq?.p50Ms ?? Number.NaN)} ms vs ${round(bullSeq?.p50Ms ?? Number.NaN)} ms)`, met: r <= 0.25 });
    const p99 = seq?.p99Ms ?? Number.NaN;
    targets.push({ name: `${mode}: sequential p99`, goal: '≤ 3 ms', measured: `${round(p99)} ms`, met: p99 <= 3 });
    const one = find(ms, system, { workers: 1, inFlight: sweep, cpuBound: true })?.callsPerSec ?? Number.NaN;
    const two = find(ms, system, { workers: 2, inFlight: sweep, cpuBound: true })?.callsPerSec ?? Number.NaN;
    targets.push({ name: `${mode}: CPU-bound throughput, 1 → 2 worker processes`, goal: 'grows (≥ 1.1×)', measured: `${round(two / one, 2)}×`, met: two / one >= 1.1 });
    const mem = results.clientMemory.find((c) => c.replyMode === mode);
    if (mem) {
      targets.push({
        name: `${mode}: client heap from ${mem.checkpointCalls.toLocaleString('en-US')} to ${mem.totalCalls.toLocaleString('en-US')} calls`,
        goal: 'flat within 10%',
        measured: `${(mem.heapGrowth * 100).toFixed(1)}% (${round(mem.heapAtCheckpointMb)} → ${round(mem.heapAtTotalMb)} MB)`,
        met: Math.abs(mem.heapGrowth) <= 0.1,
      });
      targets.push({
        name: `${mode}: client RSS with ${mem.inFlight.toLocaleString('en-US')} calls in flight`,
        goal: '≤ 150 MB',
        measured: `${round(mem.inFlightRssMb)} MB`,
        met: mem.inFlightRssMb <= 150,
      });
    }
  }
  return targets;
}
