import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { createAdmin, createClient, createWorker, router, task, type CallOptions } from '../src/index.js';
import { runInFlight } from './load.js';
import type { BenchSizes } from './options.js';
import { median, percentile } from './stats.js';

/**
 * Scheduling and flow control (docs/SCHEDULING.md), measured in the same run as the main bench:
 * what each policy costs against plain FIFO calls, how long calls of each priority wait under a
 * flood, and how fairly fair groups share a worker (Jain's index). Client and worker share this
 * process: the figures compare policies with each other, not with the main matrix.
 */
export interface SchedulingResults {
  /** Calls/s of each policy at `inFlight`, median of reps, and its ratio to plain FIFO. */
  policies: Array<{ policy: string; callsPerSec: number; vsFifo: number }>;
  inFlight: number;
  /** Queue wait (sent → started) per priority under a flood of `floodFactor` x what the worker runs. */
  priorityWait: Array<{ priority: number | 'none'; calls: number; p50Ms: number; p99Ms: number }>;
  priorityAgingMs: number;
  /** Jain's fairness index of calls served per group while every group had calls waiting (1 = even). */
  fairness: { groups: number; jain: number; served: number[] };
}

const SPIN = z.object({ n: z.number() });
const contract = router({
  plain: task({ input: SPIN, output: z.number(), queue: 'sched' }),
  rated: task({ input: SPIN, output: z.number(), queue: 'sched', rateLimit: { max: 1_000_000, perMs: 1_000 } }),
  bounded: task({ input: SPIN, output: z.number(), queue: 'sched', concurrency: 1_000_000 }),
  timed: task({ input: z.object({ n: z.number(), sentAt: z.number() }), output: z.number(), queue: 'sched' }),
  fair: task({ input: z.object({ group: z.string() }), output: z.null(), queue: 'fair' }),
});

export async function measureScheduling(ctx: { url: string; sizes: BenchSizes; log: (line: string) => void }): Promise<SchedulingResults> {
  const { url, sizes, log } = ctx;
  const prefix = `bench-sched-${randomBytes(4).toString('hex')}`;
  const agingMs = 100;
  const waits = new Map<number | 'none', number[]>();
  const worker = createWorker(
    contract,
    {
      fair: () => null,
      plain: ({ n }) => n,
      rated: ({ n }) => n,
      bounded: ({ n }) => n,
      timed: async ({ n, sentAt }, ctx2) => {
        const key = ctx2.headers['p'] === undefined ? 'none' : Number(ctx2.headers['p']);
        const list = waits.get(key) ?? [];
        list.push(Date.now() - sentAt);
        waits.set(key, list);
        await new Promise((r) => setTimeout(r, 2));
        return n;
      },
    },
    { redis: url, prefix, concurrency: 100, queues: ['sched'], logger: { warn: () => undefined, error: (m) => log(m) } },
  );
  await worker.start();
  const client = createClient(contract, { redis: url, prefix, priorityAgingMs: agingMs });
  try {
    const inFlight = 1_000;
    const policies: Array<[string, () => Promise<unknown>]> = [
      ['plain FIFO', () => client.plain({ n: 1 })],
      ['priority 1-5', () => client.plain({ n: 1 }, { priority: 1 + Math.floor(Math.random() * 5) })],
      ['delayMs 1', () => client.plain({ n: 1 }, { delayMs: 1 })],
      ['10 fair groups', () => client.plain({ n: 1 }, { group: `g${Math.floor(Math.random() * 10)}` })],
      ['rate limit (not binding)', () => client.rated({ n: 1 })],
      ['concurrency limit (not binding)', () => client.bounded({ n: 1 })],
    ];
    const perPolicy: Array<{ policy: string; callsPerSec: number; vsFifo: number }> = [];
    for (const [policy, call] of policies) {
      const reps: number[] = [];
      for (let r = 0; r < sizes.reps; r++) reps.push((await runInFlight(call, inFlight, sizes.warmupMs, sizes.windowMs)).callsPerSec);
      const callsPerSec = median(reps);
      perPolicy.push({ policy, callsPerSec, vsFifo: callsPerSec / (perPolicy[0]?.callsPerSec ?? callsPerSec) });
      log(`scheduling: ${policy}: ${Math.round(callsPerSec)} calls/s`);
    }

    // A flood of priorities none, 1..5 at ~10x what 100 slots of 2 ms calls run; waits per priority.
    const floodMs = Math.max(500, sizes.windowMs);
    const stopAt = Date.now() + floodMs;
    const lane = async (options: (i: number) => CallOptions & { p?: number }) => {
      for (let i = 0; Date.now() < stopAt; i++) {
        const o = options(i);
        const headers: Record<string, string> = o.p === undefined ? {} : { p: String(o.p) };
        await client.timed({ n: i, sentAt: Date.now() }, { ...o, headers, timeoutMs: 60_000 }).catch(() => undefined);
      }
    };
    const priorities = [undefined, 1, 2, 3, 4, 5] as const;
    await Promise.all(
      Array.from({ length: 1_200 }, (_, k) => {
        const p = priorities[k % priorities.length];
        return lane(() => (p === undefined ? {} : { priority: p, p }));
      }),
    );
    const priorityWait = priorities.map((p) => {
      const w = waits.get(p ?? 'none') ?? [];
      return { priority: p ?? ('none' as const), calls: w.length, p50Ms: percentile(w, 50), p99Ms: percentile(w, 99) };
    });
    log(`scheduling: waits per priority ${JSON.stringify(priorityWait)}`);

    // Fairness: 10 groups, group 0 queues 10x the others, all queued before a worker serves them;
    // what each group got, sampled while every group still has calls waiting.
    const groups = 10;
    const total = 2_000 + (groups - 1) * 200;
    const backlog: Array<Promise<unknown>> = [];
    for (let g = 0; g < groups; g++) {
      for (let i = 0; i < (g === 0 ? 2_000 : 200); i++) backlog.push(client.fair({ group: `t${g}` }, { group: `t${g}`, noWorkers: 'wait', timeoutMs: 60_000 }));
    }
    const admin = createAdmin({ redis: url, prefix });
    while ((await admin.counts('fair')).waiting < total) await new Promise((r) => setTimeout(r, 10));
    await admin.close();
    const fairServed = new Map<string, number>();
    const fairWorker = createWorker(
      contract,
      { fair: async ({ group }) => (fairServed.set(group, (fairServed.get(group) ?? 0) + 1), await new Promise((r) => setTimeout(r, 1)), null), plain: ({ n }) => n, rated: ({ n }) => n, bounded: ({ n }) => n, timed: ({ n }) => n },
      { redis: url, prefix, concurrency: 10, queues: ['fair'], logger: { warn: () => undefined, error: (m) => log(m) } },
    );
    await fairWorker.start();
    const servedBy = () => Array.from({ length: groups }, (_, g) => fairServed.get(`t${g}`) ?? 0);
    while (Math.min(...servedBy()) < 100) await new Promise((r) => setTimeout(r, 2));
    const counts = servedBy();
    const sum = counts.reduce((a, b) => a + b, 0);
    const jain = (sum * sum) / (groups * counts.reduce((a, b) => a + b * b, 0));
    log(`scheduling: fairness over ${groups} groups, Jain ${jain.toFixed(4)}, served ${counts.join(' ')}`);
    await Promise.all(backlog);
    await fairWorker.close();
    return { policies: perPolicy, inFlight, priorityWait, priorityAgingMs: agingMs, fairness: { groups, jain, served: counts } };
  } finally {
    await client.$close();
    await worker.close({ drainTimeoutMs: 1_000 });
  }
}
