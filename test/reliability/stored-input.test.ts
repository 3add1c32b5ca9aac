import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdmin, createClient, createWorker, isTaskwireError, router, task, type Worker } from '../../src/index.js';
import { DEAD_INPUT_TTL_MS, queueKeys, STORED_INPUT_BYTES } from '../../src/wire/keys.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

/**
 * Inputs of STORED_INPUT_BYTES or more travel in a key of their own (`<base>:input:<call id>`),
 * and the envelope on the queue says `"stored":1` instead of carrying them (wire/keys.ts). These
 * tests follow such an input through every way a call can end: it must be there for each
 * attempt, gone once nobody will read it, and kept with a dead letter.
 */
const contract = router({
  big: task({
    input: z.object({ data: z.string(), at: z.date(), failTimes: z.number() }),
    output: z.object({ n: z.number(), at: z.date(), attempt: z.number() }),
    retry: { attempts: 3, backoffMs: 10 },
  }),
});

const BIG = 'x'.repeat(STORED_INPUT_BYTES * 3);
const AT = new Date(1_700_000_000_123);

describe('stored inputs (large calls)', () => {
  let cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
  });

  async function start(options: { startWorker?: boolean; maxPayloadBytes?: number; replyMode?: 'key' | 'pubsub' } = {}) {
    const prefix = randomPrefix();
    const url = redisUrl();
    const seen: number[] = [];
    const worker: Worker = createWorker(
      contract,
      {
        big: ({ data, at, failTimes }, ctx) => {
          seen.push(data.length);
          if (ctx.attempt <= failTimes) throw new Error(`attempt ${ctx.attempt} failed`);
          return { n: data.length, at, attempt: ctx.attempt };
        },
      },
      { redis: url, prefix, logger: quietLogger, maintenanceIntervalMs: 50, ...(options.maxPayloadBytes ? { maxPayloadBytes: options.maxPayloadBytes } : {}) },
    );
    if (options.startWorker !== false) await worker.start();
    const client = createClient(contract, { redis: url, prefix, replyMode: options.replyMode ?? 'key' });
    const admin = createAdmin({ redis: url, prefix });
    const insp = inspector(prefix, url);
    cleanups.push(async () => {
      await client.$close();
      await worker.close({ drainTimeoutMs: 500 });
      await admin.close();
      await insp.cleanup();
    });
    const keys = queueKeys(prefix, 'default');
    const inputKeys = () => insp.redis.keys(`${keys.base}:input:*`);
    return { worker, client, admin, redis: insp.redis, keys, seen, inputKeys };
  }

  it('queues a small envelope, keeps the input at its own key until the call is done, then deletes it', async () => {
    const { worker, client, redis, keys, seen, inputKeys } = await start({ startWorker: false });
    const call = client.big({ data: BIG, at: AT, failTimes: 0 }, { noWorkers: 'wait', timeoutMs: 20_000 });
    await expect.poll(() => redis.llen(keys.wait)).toBe(1);
    const [queued] = await redis.lrange(keys.wait, 0, 0);
    expect(queued).toContain('"stored":1,');
    expect(queued).not.toContain('"input"');
    expect(queued?.length).toBeLessThan(500);
    const [inputKey] = await inputKeys();
    expect(inputKey).toBeDefined();
    const stored = await redis.get(inputKey ?? '');
    expect(stored?.length).toBeGreaterThan(BIG.length);
    // Outlives the deadline by the grace, no more.
    expect(await redis.pttl(inputKey ?? '')).toBeGreaterThan(20_000);
    expect(await redis.pttl(inputKey ?? '')).toBeLessThanOrEqual(20_000 + 60_000);

    await worker.start();
    // superjson's meta came along: the Date is a Date again.
    expect(await call).toEqual({ n: BIG.length, at: AT, attempt: 1 });
    expect(seen).toEqual([BIG.length]);
    await expect.poll(inputKeys).toEqual([]);
  });

  it.each(['key', 'pubsub'] as const)('runs many large calls at once in %s mode (each input is written before its enqueue)', async (replyMode) => {
    const { client, inputKeys, redis, keys } = await start({ replyMode });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => client.big({ data: BIG + i, at: AT, failTimes: 0 })));
    expect(results.map((r) => r.n)).toEqual(Array.from({ length: 30 }, (_, i) => BIG.length + String(i).length));
    await expect.poll(inputKeys).toEqual([]);
    expect(await redis.xlen(keys.dead)).toBe(0);
  });

  it('leaves small inputs inline', async () => {
    const { client, inputKeys, worker, redis, keys } = await start({ startWorker: false });
    const pending = client.big({ data: 'small', at: AT, failTimes: 0 }, { noWorkers: 'wait' });
    await expect.poll(() => redis.llen(keys.wait)).toBe(1);
    const [queued] = await redis.lrange(keys.wait, 0, 0);
    expect(queued).toContain('"input":{"json":{"data":"small"');
    expect(queued).not.toContain('"stored"');
    expect(await inputKeys()).toEqual([]);
    await worker.start();
    expect((await pending).n).toBe(5);
  });

  it('reads the stored input again for each retry and deletes it after the last', async () => {
    const { client, worker, seen, inputKeys } = await start();
    expect(await client.big({ data: BIG, at: AT, failTimes: 2 })).toEqual({ n: BIG.length, at: AT, attempt: 3 });
    expect(seen).toEqual([BIG.length, BIG.length, BIG.length]);
    expect(worker.stats.retried).toBe(2);
    await expect.poll(inputKeys).toEqual([]);
  });

  it('keeps the input of a dead letter for a week, replays it, and deletes it on purge', async () => {
    const { client, admin, redis, seen, inputKeys } = await start();
    const err = await client.big({ data: BIG, at: AT, failTimes: 99 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('attempt 3 failed');
    const dead = admin.deadLetters('default');
    const [letter] = await dead.list();
    expect(letter).toMatchObject({ reason: 'ATTEMPTS_EXHAUSTED', inputStored: true, task: 'big' });
    const [inputKey] = await inputKeys();
    expect(await redis.pttl(inputKey ?? '')).toBeGreaterThan(DEAD_INPUT_TTL_MS - 60_000);
    expect(JSON.parse((await dead.storedInput(letter?.id ?? '')) ?? '{}').json.data).toBe(BIG);

    // Replay runs it again, from the same stored input (it fails again: three more attempts).
    seen.length = 0;
    expect(await dead.replay(letter?.id ?? '')).toBe(true);
    await expect.poll(() => seen.length, { timeout: 5000 }).toBe(3);
    expect(seen).toEqual([BIG.length, BIG.length, BIG.length]);
    await expect.poll(() => dead.count(), { timeout: 5000 }).toBe(1);
    const [again] = await dead.list();
    expect(await redis.pttl(inputKey ?? '')).toBeGreaterThan(DEAD_INPUT_TTL_MS - 60_000);
    expect(await dead.purge(again?.id ?? '')).toBe(true);
    expect(await inputKeys()).toEqual([]);
  });

  it('answers PROTOCOL and dead-letters a call whose stored input is gone, and goes on serving', async () => {
    const { worker, client, admin, redis, keys, seen, inputKeys } = await start({ startWorker: false });
    const call = client.big({ data: BIG, at: AT, failTimes: 0 }, { noWorkers: 'wait', timeoutMs: 10_000 }).catch((e: unknown) => e);
    await expect.poll(() => redis.llen(keys.wait)).toBe(1);
    const [inputKey] = await inputKeys();
    await redis.del(inputKey ?? '');
    const t0 = Date.now();
    await worker.start();
    const err = await call;
    expect(isTaskwireError(err) && err.code).toBe('PROTOCOL');
    expect((err as Error).message).toContain('stored input');
    expect(Date.now() - t0).toBeLessThan(5000); // answered, not left to its deadline
    expect(seen).toEqual([]);
    const [letter] = await admin.deadLetters('default').list();
    expect(letter?.reason).toBe('PROTOCOL');
    // A replay cannot bring it back without its input, and says so.
    await expect(admin.deadLetters('default').replay(letter?.id ?? '')).rejects.toMatchObject({ code: 'PROTOCOL' });
    expect((await client.big({ data: BIG, at: AT, failTimes: 0 })).n).toBe(BIG.length);
  });

  it("refuses a stored input over the worker's maxPayloadBytes without running it", async () => {
    const { client, admin, seen } = await start({ maxPayloadBytes: STORED_INPUT_BYTES * 2 });
    const err = await client.big({ data: BIG, at: AT, failTimes: 0 }).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(seen).toEqual([]);
    const [letter] = await admin.deadLetters('default').list();
    expect(letter?.reason).toBe('PAYLOAD_TOO_LARGE');
  });

  it('deletes the stored input of a call withdrawn unrun: timed out, cancelled, or refused for want of workers', async () => {
    const { client, inputKeys } = await start({ startWorker: false });
    const timedOut = await client.big({ data: BIG, at: AT, failTimes: 0 }, { noWorkers: 'wait', timeoutMs: 300 }).catch((e: unknown) => e);
    expect(isTaskwireError(timedOut) && timedOut.code).toBe('TIMEOUT');
    await expect.poll(inputKeys).toEqual([]);

    const abort = new AbortController();
    const cancelled = client.big({ data: BIG, at: AT, failTimes: 0 }, { noWorkers: 'wait', signal: abort.signal }).catch((e: unknown) => e);
    await expect.poll(inputKeys).toHaveLength(1);
    abort.abort();
    expect(isTaskwireError(await cancelled) && ((await cancelled) as { code: string }).code).toBe('CANCELLED');
    await expect.poll(inputKeys).toEqual([]);

    const refused = await client.big({ data: BIG, at: AT, failTimes: 0 }).catch((e: unknown) => e);
    expect(isTaskwireError(refused) && refused.code).toBe('NO_WORKERS');
    await expect.poll(inputKeys).toEqual([]);
  });
});
