import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createAdmin,
  createClient,
  createWorker,
  isTaskError,
  isTaskwireError,
  router,
  task,
  TaskwireError,
  type Worker,
} from '../../src/index.js';
import { encodeCall } from '../../src/wire/envelope.js';
import { queueKeys } from '../../src/wire/keys.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl, pushRaw } from '../support/redis.js';

const contract = router({
  flaky: task({
    input: z.object({ key: z.string(), failTimes: z.number() }),
    output: z.object({ attempt: z.number() }),
    retry: { attempts: 3, backoffMs: 50 },
  }),
  declared: task({
    input: z.object({ retryable: z.boolean() }),
    output: z.null(),
    errors: { BUSY: z.object({}), GONE: z.object({}) },
    retry: { attempts: 3, backoffMs: 10, retryOn: ['BUSY'] },
  }),
  fatal: task({ input: z.object({}), output: z.null(), retry: { attempts: 5, backoffMs: 10 } }),
  quick: task({ input: z.object({ n: z.number() }), output: z.number() }),
  once: task({ input: z.object({ n: z.number() }), output: z.number(), errors: { ODD: z.object({ n: z.number() }) } }),
});

describe('retries, dead letters, idempotency', () => {
  const runs = new Map<string, number>();
  let cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
    runs.clear();
  });

  async function start(workerOptions: { concurrency?: number; maxDeliveries?: number } = {}) {
    const prefix = randomPrefix();
    const url = redisUrl();
    const count = (key: string) => runs.set(key, (runs.get(key) ?? 0) + 1).get(key) ?? 0;
    const worker: Worker = createWorker(
      contract,
      {
        flaky: ({ key, failTimes }, ctx) => {
          count(key);
          if (ctx.attempt <= failTimes) throw new Error(`attempt ${ctx.attempt} failed`);
          return { attempt: ctx.attempt };
        },
        declared: ({ retryable }, ctx) => {
          count('declared');
          throw retryable ? ctx.error('BUSY', {}) : ctx.error('GONE', {});
        },
        fatal: () => {
          count('fatal');
          throw new TaskwireError('INTERNAL', 'config missing', { retryable: false });
        },
        quick: ({ n }) => {
          count('quick');
          return n;
        },
        once: async ({ n }, ctx) => {
          count(`once-${n}`);
          await new Promise((r) => setTimeout(r, 100));
          if (n % 2) throw ctx.error('ODD', { n });
          return n * 10;
        },
      },
      { redis: url, prefix, logger: quietLogger, maintenanceIntervalMs: 50, ...workerOptions },
    );
    await worker.start();
    const client = createClient(contract, { redis: url, prefix });
    const admin = createAdmin({ redis: url, prefix });
    const insp = inspector(prefix, url);
    cleanups.push(async () => {
      await client.$close();
      await worker.close({ drainTimeoutMs: 500 });
      await admin.close();
      await insp.cleanup();
    });
    return { prefix, worker, client, admin, redis: insp.redis, keys: queueKeys(prefix, 'default') };
  }

  it('retries a failing call with backoff until it succeeds, counting attempts', async () => {
    const { client, worker } = await start();
    expect(await client.flaky({ key: 'a', failTimes: 2 })).toEqual({ attempt: 3 });
    expect(runs.get('a')).toBe(3);
    expect(worker.stats.retried).toBe(2);
  });

  it('schedules retries without holding a worker slot', async () => {
    const { client } = await start({ concurrency: 1 });
    const slow = client.flaky({ key: 'b', failTimes: 1 }, { retry: { attempts: 2, backoffMs: 400, maxDelayMs: 400 } });
    await new Promise((r) => setTimeout(r, 30));
    const t0 = Date.now();
    expect(await client.quick({ n: 7 })).toBe(7);
    // The only slot was free while the retry waited out its backoff.
    expect(Date.now() - t0).toBeLessThan(300);
    expect(await slow).toEqual({ attempt: 2 });
  });

  it('does not retry declared errors unless the contract lists them in retryOn', async () => {
    const { client } = await start();
    const gone = await client.declared({ retryable: false }).catch((e: unknown) => e);
    expect(isTaskError(gone, contract.declared, 'GONE')).toBe(true);
    expect(runs.get('declared')).toBe(1);
    runs.clear();
    const busy = await client.declared({ retryable: true }).catch((e: unknown) => e);
    expect(isTaskError(busy, contract.declared, 'BUSY')).toBe(true);
    expect(runs.get('declared')).toBe(3);
  });

  it('lets a handler mark an error non-retryable', async () => {
    const { client } = await start();
    const err = await client.fatal({}).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('INTERNAL');
    expect(isTaskwireError(err) && err.data).toEqual({ attempts: 1 });
    expect(runs.get('fatal')).toBe(1);
  });

  it('dead-letters a call that exhausts its attempts, gives the caller the last error, and replays it', async () => {
    const { client, admin } = await start();
    const err = await client.flaky({ key: 'c', failTimes: 99 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('attempt 3 failed');
    // How many runs it had, as BullMQ's attemptsMade, beside the task.
    expect(isTaskwireError(err) && err.data).toEqual({ task: 'flaky', attempts: 3 });
    const dead = admin.deadLetters('default');
    const [letter] = await dead.list();
    expect(letter).toMatchObject({ reason: 'ATTEMPTS_EXHAUSTED', task: 'flaky', attempt: 3, queue: 'default' });
    expect(letter?.error?.message).toBe('attempt 3 failed');
    expect(letter?.error?.data).toEqual({ task: 'flaky', attempts: 3 });
    expect(await dead.count()).toBe(1);
    // Replay runs it again as a fresh first attempt.
    runs.clear();
    expect(await dead.replay(letter?.id ?? '')).toBe(true);
    expect(await dead.replay(letter?.id ?? '')).toBe(false);
    await expect.poll(() => runs.get('c') ?? 0, { timeout: 5000 }).toBe(3);
    await expect.poll(() => dead.count(), { timeout: 5000 }).toBe(1);
    expect(await dead.purgeAll({ task: 'other' })).toBe(0);
    expect(await dead.purgeAll({ reason: 'ATTEMPTS_EXHAUSTED' })).toBe(1);
    expect(await dead.count()).toBe(0);
  });

  it('dead-letters a call delivered more than maxDeliveries times and tells its caller', async () => {
    const { redis, keys, admin } = await start({ maxDeliveries: 2 });
    // As if two workers had died running it: the third delivery is one too many.
    await redis.hset(keys.deliveries, 'poison-1', 2);
    await pushRaw(
      redis,
      keys,
      encodeCall({ id: 'poison-1', task: 'quick', input: { json: { n: 1 } }, reply: { mode: 'hash', client: 'c9' }, deadline: Date.now() + 5000, attempt: 1, sentAt: Date.now() }),
    );
    await expect.poll(() => redis.hget(keys.replies('c9'), 'poison-1'), { timeout: 5000 }).not.toBeNull();
    expect(JSON.parse((await redis.hget(keys.replies('c9'), 'poison-1')) ?? '{}').error.code).toBe('DEAD_LETTERED');
    expect(runs.get('quick')).toBeUndefined();
    const [letter] = await admin.deadLetters('default').list();
    expect(letter?.reason).toBe('MAX_DELIVERIES');
    expect(await redis.hexists(keys.deliveries, 'poison-1')).toBe(0);
  });

  it('never starts a call whose deadline already passed', async () => {
    const { redis, keys, worker } = await start();
    await pushRaw(
      redis,
      keys,
      encodeCall({ id: 'late-1', task: 'quick', input: { json: { n: 1 } }, reply: { mode: 'hash', client: 'c9' }, deadline: Date.now() - 1, attempt: 1, sentAt: Date.now() - 1000 }),
    );
    await expect.poll(() => worker.stats.expired, { timeout: 5000 }).toBe(1);
    expect(runs.get('quick')).toBeUndefined();
    expect(await redis.hexists(keys.replies('c9'), 'late-1')).toBe(0);
  });

  it('runs calls sharing an idempotency key once and gives every caller the same result', async () => {
    const { client } = await start();
    const results = await Promise.all(Array.from({ length: 5 }, () => client.once({ n: 4 }, { idempotencyKey: 'order-4' })));
    expect(results).toEqual([40, 40, 40, 40, 40]);
    expect(await client.once({ n: 4 }, { idempotencyKey: 'order-4' })).toBe(40);
    expect(runs.get('once-4')).toBe(1);
    // Errors are results too: shared, not re-run.
    const errs = await Promise.all([1, 2].map(() => client.once({ n: 3 }, { idempotencyKey: 'order-3' }).catch((e: unknown) => e)));
    expect(errs.every((e) => isTaskError(e, contract.once, 'ODD'))).toBe(true);
    expect(runs.get('once-3')).toBe(1);
    // A different key runs again.
    expect(await client.once({ n: 4 }, { idempotencyKey: 'order-4b' })).toBe(40);
    expect(runs.get('once-4')).toBe(2);
  });

  it('expires idempotency keys after their ttl', async () => {
    const { client } = await start();
    expect(await client.once({ n: 2 }, { idempotencyKey: 'k', idempotencyTtlMs: 150 })).toBe(20);
    await new Promise((r) => setTimeout(r, 250));
    expect(await client.once({ n: 2 }, { idempotencyKey: 'k', idempotencyTtlMs: 150 })).toBe(20);
    expect(runs.get('once-2')).toBe(2);
  });
});
