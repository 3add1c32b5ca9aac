import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createWorker, isTaskwireError, router, task, type Worker } from '../../src/index.js';
import { queueKeys } from '../../src/wire/keys.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

const contract = router({
  wait: task({ input: z.object({ ms: z.number(), id: z.string() }), output: z.string() }),
  stubborn: task({ input: z.object({ ms: z.number(), id: z.string() }), output: z.string() }),
});

describe('leases, cancellation and shutdown', () => {
  const started: string[] = [];
  const aborted: string[] = [];
  let cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
    started.length = 0;
    aborted.length = 0;
  });

  function makeWorker(prefix: string, options: Record<string, unknown> = {}): Worker {
    const worker: Worker = createWorker(
      contract,
      {
        wait: async ({ ms, id }, ctx) => {
          started.push(id);
          await new Promise<void>((resolve, reject) => {
            const t = setTimeout(resolve, ms);
            ctx.signal.addEventListener('abort', () => {
              aborted.push(id);
              clearTimeout(t);
              reject(ctx.signal.reason as Error);
            });
          });
          return `${id} by ${worker.id}`;
        },
        // Ignores ctx.signal, like a handler stuck in a blocking call.
        stubborn: async ({ ms, id }) => {
          started.push(id);
          await new Promise((r) => setTimeout(r, ms));
          return `${id} by ${worker.id}`;
        },
      },
      { redis: redisUrl(), prefix, logger: quietLogger, ...options },
    );
    cleanups.push(() => worker.close({ drainTimeoutMs: 200 }));
    return worker;
  }

  async function env() {
    const prefix = randomPrefix();
    const client = createClient(contract, { redis: redisUrl(), prefix });
    const insp = inspector(prefix);
    cleanups.push(async () => {
      await client.$close();
      await insp.cleanup();
    });
    return { prefix, client, redis: insp.redis, keys: queueKeys(prefix, 'default') };
  }

  it('aborts ctx.signal of a running call when its caller aborts, and leaves no reply behind', async () => {
    const { prefix, client, redis, keys } = await env();
    const worker = makeWorker(prefix);
    await worker.start();
    const ac = new AbortController();
    const call = client.wait({ ms: 5000, id: 'x' }, { signal: ac.signal });
    await expect.poll(() => started.length).toBe(1);
    const t0 = Date.now();
    ac.abort();
    const err = await call.catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('CANCELLED');
    expect(Date.now() - t0).toBeLessThan(100);
    await expect.poll(() => aborted).toEqual(['x']);
    await expect.poll(() => worker.running).toBe(0);
    // No reply was written for the cancelled call.
    expect(await redis.exists(keys.replies(client.$id))).toBe(0);
  });

  it('hands a call whose lease expired to another worker and fences the late result', async () => {
    const { prefix, client, redis } = await env();
    // Worker A (one slot, so it cannot take the call back itself) runs a handler that ignores
    // ctx.signal; its lease is then made to look expired, as a stalled worker's would.
    const a = makeWorker(prefix, { leaseMs: 300, maintenanceIntervalMs: 50, concurrency: 1 });
    await a.start();
    const call = client.stubborn({ ms: 1500, id: 'y' }, { timeoutMs: 5000 });
    await expect.poll(() => started.length).toBe(1);
    const b = makeWorker(prefix, { maintenanceIntervalMs: 50 });
    await b.start();
    const [batchOfA] = await redis.zrange(queueKeys(prefix, 'default').batches, 0, -1);
    await expireLeaseUntil(prefix, batchOfA ?? '', () => started.length === 2);
    const result = await call;
    expect(started).toEqual(['y', 'y']);
    // Exactly one outcome reached the caller, and one of the two results was fenced off.
    await expect.poll(() => a.stats.fenced + b.stats.fenced, { timeout: 5000 }).toBe(1);
    expect(result).toMatch(/^y by /);
  });

  it('stops renewing the lease of a handler that ignores its deadline, after the grace period', async () => {
    const { prefix, client, redis, keys } = await env();
    const worker = makeWorker(prefix, { leaseMs: 300, deadlineGraceMs: 100, maintenanceIntervalMs: 50, concurrency: 2 });
    await worker.start();
    const err = await client.stubborn({ ms: 2500, id: 'z' }, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('TIMEOUT');
    // deadline 200 + grace 100 + lease 300 (+ reaper period): the lease is gone well before the
    // handler returns at 2.5 s, and the requeued call is recognised as expired, never re-run.
    await expect.poll(() => redis.zcard(keys.batches), { timeout: 1500 }).toBe(0);
    await expect.poll(() => worker.stats.expired, { timeout: 1500 }).toBe(1);
    expect(started).toEqual(['z']);
    await expect.poll(() => worker.stats.fenced, { timeout: 4000 }).toBe(1);
  });

  it('drains running calls on close and returns unfinished ones to the queue', async () => {
    const { prefix, client } = await env();
    const a = makeWorker(prefix, { concurrency: 4 });
    await a.start();
    const quick = client.wait({ ms: 100, id: 'quick' });
    const long = client.stubborn({ ms: 3000, id: 'long' }, { timeoutMs: 10_000 });
    await expect.poll(() => started.length).toBe(2);
    await a.close({ drainTimeoutMs: 300 });
    expect(await quick).toMatch(/^quick by /);
    // The unfinished call went back; a new worker finishes it and the caller still gets it.
    const b = makeWorker(prefix);
    await b.start();
    expect(await long).toBe(`long by ${b.id}`);
  });

  it('loses nothing when a parked worker dies: the call that woke it runs elsewhere and its heartbeat is forgotten', async () => {
    const { prefix, client, redis, keys } = await env();
    const worker = makeWorker(prefix, { maintenanceIntervalMs: 50, workerTtlMs: 200 });
    // A dead worker's heartbeat, long ago; its park took the wake-up token of a call and it died.
    await redis.zadd(keys.workers, 1, 'ghost');
    const call = client.wait({ ms: 1, id: 'parked' }, { noWorkers: 'wait' });
    await expect.poll(() => redis.llen(keys.wait)).toBe(1);
    await redis.del(keys.marker);
    await worker.start();
    expect(await call).toMatch(/^parked by /);
    expect(await redis.zscore(keys.workers, 'ghost')).toBeNull();
  });
});

/**
 * Keeps pushing one lease's expiry into the past until `done` (at most 3 s): from Redis this is
 * what a stalled worker (GC pause, SIGSTOP) looks like. Repeated because the stalled worker's
 * own renewal may slip in between; only that batch's lease is touched, so the lease of the worker that
 * takes over is left alone.
 */
async function expireLeaseUntil(prefix: string, batch: string, done: () => boolean): Promise<void> {
  const { redis } = inspector(prefix);
  const keys = queueKeys(prefix, 'default');
  try {
    const until = Date.now() + 3000;
    while (!done() && Date.now() < until) {
      await redis.zadd(keys.batches, 'XX', 1, batch);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    redis.disconnect();
  }
}
