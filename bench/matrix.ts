import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { handledCounts, startWorkers, stopAll, type Child } from './children.js';
import { cpuPerCall, cpuSnapshot } from './cpu.js';
import { runInFlight, runSequential, type LoadResult } from './load.js';
import { BASE_PAYLOAD_BYTES, IN_FLIGHT, WORKER_CONCURRENCY, WORKER_PROCESSES, type BenchSizes } from './options.js';
import type { Measurement, Rep } from './results.js';
import { median } from './stats.js';
import { SYSTEMS } from './systems/index.js';
import type { BenchClient, System } from './systems/system.js';
import { payload, type WorkInput } from './workload.js';

type Key = Omit<Measurement, 'callsPerSec' | 'p50Ms' | 'p99Ms' | 'minWorkerShare' | 'cpuUsPerCall' | 'errors' | 'reps'>;
type Measure = (key: Key, run: () => Promise<LoadResult>) => Promise<void>;

const keyOf = (k: Key) => `${k.system}|${k.workers}|${k.inFlight}|${k.payloadBytes}|${k.cpuBound}`;

/** Calls through a client and checks each answer, so a system that drops work cannot look fast. */
function checked(client: BenchClient, input: WorkInput): () => Promise<unknown> {
  return async () => {
    const out = await client.call(input);
    if (out.n !== input.data.length) throw new Error(`wrong answer: n=${out.n}, expected ${input.data.length}`);
  };
}

/** Cores busy outside the bench above which a run is repeated (of 2 cores, ~1/8 of the box). */
const OUTSIDE_LOAD = 0.25;

async function measureOnce(run: () => Promise<LoadResult>, children: readonly Child[], pids: readonly number[], ctx: MatrixContext): Promise<Rep> {
  const before = await cpuSnapshot(ctx.admin, pids);
  const countsBefore = await handledCounts(children);
  const load = await run();
  const after = await cpuSnapshot(ctx.admin, pids);
  const handled = (await handledCounts(children)).map((n, i) => n - (countsBefore[i] ?? 0));
  const total = handled.reduce((a, b) => a + b, 0);
  return {
    ...load,
    cpu: cpuPerCall(before, after, load.totalCalls),
    workerShares: handled.map((n) => (total > 0 ? n / total : 0)),
    attempts: 1,
  };
}

export interface MatrixContext {
  url: string;
  /** A plain connection to the bench's Redis, for FLUSHALL between segments. */
  admin: Redis;
  sizes: BenchSizes;
  spinRounds: number;
  log: (line: string) => void;
}

/**
 * The timed matrix. Repetitions are the outer loop, so slow drift of a noisy machine spreads
 * over every system instead of landing on whichever ran last. Within a repetition, one segment
 * per (worker processes, system): fresh namespace, fresh worker processes, an unmeasured
 * warm-up, then the system's sequential, in-flight, CPU-bound and payload runs. The same
 * conditions for every system, including the two taskwire modes.
 */
export async function runMatrix(ctx: MatrixContext): Promise<Measurement[]> {
  const { sizes } = ctx;
  const runs = new Map<string, { key: Key; reps: Rep[] }>();
  const base: WorkInput = { data: payload(BASE_PAYLOAD_BYTES), spin: 0 };

  for (let rep = 1; rep <= sizes.reps; rep++) {
    const done = new Set<string>();
    let children: Child[] = [];
    let pids: number[] = [];
    const measure: Measure = async (key, run) => {
      const k = keyOf(key);
      if (done.has(k)) return; // e.g. the 100 B point of the sweep is the 100-in-flight run
      done.add(k);
      // A run during which other jobs on the box kept a good part of a core busy is run again
      // (the least disturbed attempt is kept), the same for every system; see OUTSIDE_LOAD.
      let result: Rep | undefined;
      let made = 0;
      while (made < sizes.attempts) {
        const r = await measureOnce(run, children, pids, ctx);
        made++;
        if (!result || r.cpu.otherCores < result.cpu.otherCores) result = r;
        if (!(r.cpu.otherCores > OUTSIDE_LOAD) || made === sizes.attempts) break;
        ctx.log(`  (outside load ${r.cpu.otherCores.toFixed(2)} cores during ${key.system} in-flight=${key.inFlight}: running it again)`);
      }
      if (!result) return;
      result.attempts = made;
      const entry = runs.get(k) ?? { key, reps: [] };
      entry.reps.push(result);
      runs.set(k, entry);
      ctx.log(
        `[rep ${rep}/${sizes.reps}] ${key.system} workers=${key.workers} in-flight=${key.inFlight} ` +
          `payload=${key.payloadBytes}B${key.cpuBound ? ' cpu' : ''}: ${Math.round(result.callsPerSec)} calls/s, ` +
          `p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms; CPU µs/call client ${Math.round(result.cpu.clientUs)}, ` +
          `workers ${Math.round(result.cpu.workersUs)}, Redis ${Math.round(result.cpu.redisUs)}` +
          `; other load ${result.cpu.otherCores.toFixed(2)} cores` +
          (result.workerShares.length > 1 ? `; shares ${result.workerShares.map((x) => x.toFixed(2)).join('/')}` : '') +
          (result.attempts > 1 ? `; least disturbed of ${result.attempts} runs` : '') +
          (result.errors ? `, ${result.errors} errors (${result.firstError ?? ''})` : ''),
      );
    };

    for (const workers of WORKER_PROCESSES) {
      // One segment per system, each on fresh worker processes of its kind: both taskwire modes
      // used to share one segment, so pubsub always ran on workers key mode had warmed up.
      for (const system of SYSTEMS) {
        const endpoint = { url: ctx.url, namespace: `bench-${randomBytes(4).toString('hex')}` };
        children = await startWorkers(system.worker, endpoint, workers, WORKER_CONCURRENCY);
        pids = children.flatMap((c) => (c.pid === undefined ? [] : [c.pid]));
        try {
          await runSystem(system, endpoint, workers, base, measure, ctx);
        } finally {
          await stopAll(children);
          await ctx.admin.flushall();
        }
      }
    }
  }

  return [...runs.values()].map(({ key, reps }) => ({
    ...key,
    callsPerSec: median(reps.map((r) => r.callsPerSec)),
    p50Ms: median(reps.map((r) => r.p50Ms)),
    p99Ms: median(reps.map((r) => r.p99Ms)),
    minWorkerShare: median(reps.map((r) => Math.min(...r.workerShares))),
    cpuUsPerCall: {
      clientUs: median(reps.map((r) => r.cpu.clientUs)),
      workersUs: median(reps.map((r) => r.cpu.workersUs)),
      redisUs: median(reps.map((r) => r.cpu.redisUs)),
      otherCores: median(reps.map((r) => r.cpu.otherCores)),
    },
    errors: reps.reduce((n, r) => n + r.errors, 0),
    reps,
  }));
}

async function runSystem(
  system: System,
  endpoint: { url: string; namespace: string },
  workers: number,
  base: WorkInput,
  measure: Measure,
  ctx: MatrixContext,
): Promise<void> {
  const { sizes } = ctx;
  const client = await system.connect(endpoint);
  const key = (inFlight: number, payloadBytes: number, cpuBound: boolean): Key => ({ system: system.name, workers, inFlight, payloadBytes, cpuBound });
  try {
    // Unmeasured: brings fresh worker processes (and this system's client) to steady state, so
    // the first system on them is not charged for it (options.ts segmentWarmupMs).
    await runInFlight(checked(client, base), 100, sizes.segmentWarmupMs, 0);
    for (const inFlight of IN_FLIGHT) {
      await measure(key(inFlight, BASE_PAYLOAD_BYTES, false), () =>
        inFlight === 1
          ? runSequential(checked(client, base), sizes.seqWarmupCalls, sizes.seqCalls)
          : runInFlight(checked(client, base), inFlight, sizes.warmupMs, sizes.windowMs),
      );
    }
    const cpu: WorkInput = { ...base, spin: ctx.spinRounds };
    await measure(key(sizes.sweepInFlight, BASE_PAYLOAD_BYTES, true), () =>
      runInFlight(checked(client, cpu), sizes.sweepInFlight, sizes.warmupMs, sizes.windowMs),
    );
    if (workers === 1) {
      for (const bytes of sizes.payloadBytes) {
        const input: WorkInput = { data: payload(bytes), spin: 0 };
        await measure(key(sizes.sweepInFlight, bytes, false), () =>
          runInFlight(checked(client, input), sizes.sweepInFlight, sizes.warmupMs, sizes.windowMs),
        );
      }
    }
  } finally {
    await client.close();
  }
}
