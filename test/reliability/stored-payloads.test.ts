import { afterEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { createAdmin, createClient, createWorker, isTaskwireError, router, task, type Worker } from '../../src/index.js';
import { encodeCall } from '../../src/wire/envelope.js';
import { superjsonSerializer } from '../../src/wire/serializer.js';
import { settlements } from '../../src/worker/settlements.js';
import { queueKeys, type QueueKeys } from '../../src/wire/keys.js';
import { STORED_PAYLOAD_BYTES } from '../../src/wire/protocol.js';
import { quietLogger } from '../support/fixtures.js';
import { monitorCommands } from '../support/monitor.js';
import { inspector, randomPrefix, redisUrl, pushRaw } from '../support/redis.js';

/**
 * Inputs and outputs of STORED_PAYLOAD_BYTES or more travel in keys of their own
 * (`<base>:input:<call id>`, `<base>:output:<call id>:<lease token>`), and the envelope on the
 * queue or the reply says `"stored"` instead of carrying them (wire/keys.ts). These tests follow
 * such payloads through every way a call can end: there for each attempt and for the caller,
 * gone once nobody will read them, an input kept with its dead letter.
 */
const contract = router({
  big: task({
    input: z.object({ data: z.string(), at: z.date(), failTimes: z.number() }),
    output: z.object({ n: z.number(), at: z.date(), attempt: z.number() }),
    retry: { attempts: 3, backoffMs: 10 },
  }),
  gen: task({
    input: z.object({ n: z.number(), at: z.date(), sleepMs: z.number().optional(), behindMs: z.number().optional() }),
    output: z.object({ data: z.string(), at: z.date() }),
  }),
});

const BIG = 'x'.repeat(STORED_PAYLOAD_BYTES * 3);
const AT = new Date(1_700_000_000_123);

describe('stored inputs (large calls)', () => {
  let cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
  });

  let hold: Promise<void> = Promise.resolve();
  async function start(
    options: { startWorker?: boolean; maxPayloadBytes?: number; replyMode?: 'key' | 'pubsub'; worker?: { leaseMs?: number; deadlineGraceMs?: number } } = {},
  ) {
    const prefix = randomPrefix();
    const url = redisUrl();
    const seen: number[] = [];
    const running: string[] = [];
    const worker: Worker = createWorker(
      contract,
      {
        big: ({ data, at, failTimes }, ctx) => {
          seen.push(data.length);
          if (ctx.attempt <= failTimes) throw new Error(`attempt ${ctx.attempt} failed`);
          return { n: data.length, at, attempt: ctx.attempt };
        },
        gen: async ({ n, at, sleepMs, behindMs }, ctx) => {
          running.push(ctx.callId);
          // Ignores ctx.signal on purpose (a stalled handler), and waits for the test if it holds it.
          if (sleepMs) await new Promise((r) => setTimeout(r, sleepMs));
          await hold;
          // As a worker whose clock runs behind its caller's: a result past the caller's deadline
          // that the worker still counts as in time (else its outcome would be TIMEOUT, and no
          // result stored). Date.now reads early until the worker has settled this call's outcome.
          if (behindMs) {
            const now = Date.now;
            Date.now = () => now() - behindMs;
            setTimeout(() => (Date.now = now), 0);
          }
          return { data: 'y'.repeat(n), at };
        },
      },
      { redis: url, prefix, logger: quietLogger, maintenanceIntervalMs: 50, ...options.worker, ...(options.maxPayloadBytes ? { maxPayloadBytes: options.maxPayloadBytes } : {}) },
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
    const outputKeys = () => insp.redis.keys(`${keys.base}:output:*`);
    return { worker, client, admin, redis: insp.redis, keys, seen, running, inputKeys, outputKeys };
  }

  /** A started worker connected as an ACL user limited to `patterns`, and a client with full access. */
  async function restrictedWorker(redis: Redis, keys: QueueKeys, name: string, patterns: string[]) {
    const prefix = keys.base.slice(0, keys.base.indexOf(':{'));
    const user = `tw-${name}-${prefix}`;
    await redis.call('ACL', 'SETUSER', user, 'on', 'nopass', 'resetkeys', ...patterns, '&*', '+@all');
    cleanups.push(async () => void (await redis.call('ACL', 'DELUSER', user)));
    const url = new URL(redisUrl());
    url.username = user;
    const worker = createWorker(
      contract,
      { big: ({ data, at }) => ({ n: data.length, at, attempt: 1 }), gen: ({ n, at }) => ({ data: 'y'.repeat(n), at }) },
      { redis: url.toString(), prefix, logger: quietLogger },
    );
    const client = createClient(contract, { redis: redisUrl(), prefix });
    cleanups.push(async () => {
      await client.$close();
      await worker.close();
    });
    await worker.start();
    return { worker, client };
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

  it('counts the 8 KiB line in UTF-8 bytes, not characters, both ways', async () => {
    const { client, inputKeys, outputKeys, worker, redis, keys } = await start({ startWorker: false, replyMode: 'pubsub' });
    // 3,000 characters of 3 bytes each: 9,000 bytes, well under 8,192 characters.
    const euros = '€'.repeat(3_000);
    const pending = client.big({ data: euros, at: AT, failTimes: 0 }, { noWorkers: 'wait' });
    await expect.poll(() => redis.llen(keys.wait)).toBe(1);
    const [queued] = await redis.lrange(keys.wait, 0, 0);
    expect(queued).toContain('"stored":1,');
    expect(await inputKeys()).toHaveLength(1);
    await worker.start();
    expect((await pending).n).toBe(3_000);
    // The same for a result: gen answers 'y' * n, so 3,000 ASCII characters stay inline...
    const monitor = await monitorCommands(redisUrl(), keys.base.slice(0, keys.base.indexOf(':{')));
    try {
      expect((await client.gen({ n: 3_000, at: AT })).data).toHaveLength(3_000);
    } finally {
      monitor.stop();
    }
    expect(monitor.seen.some((c) => c.args[0]?.toLowerCase() === 'set' && c.args[1]?.includes(':output:'))).toBe(false);
    expect(await outputKeys()).toEqual([]);
    // ... and 3,000 euro signs (9,000 bytes) go to an output key.
    const build = settlements(superjsonSerializer);
    const to = { id: 'c.1', reply: { mode: 'hash' as const, client: 'c' } };
    expect(build.ok(keys, { token: '7', batch: '7' }, to, 'y'.repeat(3_000), 'fp').storedOutput).toBeUndefined();
    expect(build.ok(keys, { token: '7', batch: '7' }, to, euros, 'fp').storedOutput?.text).toBe(JSON.stringify({ json: euros }));
  });

  it('leaves small inputs inline', async () => {
    const { client, inputKeys, worker, redis, keys } = await start({ startWorker: false });
    const pending = client.big({ data: 'small', at: AT, failTimes: 0 }, { noWorkers: 'wait' });
    await expect.poll(() => redis.llen(keys.wait)).toBe(1);
    const [queued] = await redis.lrange(keys.wait, 0, 0);
    expect(queued).toContain('"input":{"json":{"data":"small"');
    expect(queued).not.toContain('"stored":1,"');
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

  it('keeps the input in the dead letter (under the stream cap), deletes its key, and replays it', async () => {
    const { client, admin, seen, inputKeys } = await start();
    const err = await client.big({ data: BIG, at: AT, failTimes: 99 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('attempt 3 failed');
    const dead = admin.deadLetters('default');
    const [letter] = await dead.list({ raw: true });
    expect(letter).toMatchObject({ reason: 'ATTEMPTS_EXHAUSTED', task: 'big' });
    expect(letter?.raw?.envelope).toContain('"stored":1,');
    expect(JSON.parse(letter?.raw?.storedInput ?? '{}').json.data).toBe(BIG);
    expect((letter?.input as { data: string; at: Date }).data).toBe(BIG);
    expect((letter?.input as { data: string; at: Date }).at).toEqual(AT);
    // Nothing outside the stream: trimming the stream frees the input too.
    expect(await inputKeys()).toEqual([]);

    // Replay runs it again with that input (it fails again: three more attempts, one more letter).
    seen.length = 0;
    expect(await dead.replay(letter?.id ?? '')).toBe(true);
    await expect.poll(() => seen.length, { timeout: 5000 }).toBe(3);
    expect(seen).toEqual([BIG.length, BIG.length, BIG.length]);
    await expect.poll(() => dead.count(), { timeout: 5000 }).toBe(1);
    // The replay went inline (no key whose life to manage), so its letter holds the input itself.
    const [again] = await dead.list({ raw: true });
    expect(again?.raw?.storedInput).toBeUndefined();
    expect(again?.raw?.envelope).toContain(`"input":{"json":{"data":"${BIG}"`);
    expect((again?.input as { data: string }).data).toBe(BIG);
    expect(await inputKeys()).toEqual([]);
  });

  it('dead-letters a call whose stored input it never read (too many deliveries) with that input', async () => {
    const { worker, client, admin, redis, keys, seen } = await start({ startWorker: false });
    const call = client.big({ data: BIG, at: AT, failTimes: 0 }, { noWorkers: 'wait' }).catch((e: unknown) => e);
    await expect.poll(() => redis.llen(keys.wait)).toBe(1);
    const [queued] = await redis.lrange(keys.wait, 0, 0);
    const id = JSON.parse(queued ?? '{}').id as string;
    // As if five workers had died holding it.
    await redis.hset(keys.deliveries, id, 5);
    await worker.start();
    const err = await call;
    expect(isTaskwireError(err) && err.code).toBe('DEAD_LETTERED');
    expect(seen).toEqual([]);
    const [letter] = await admin.deadLetters('default').list();
    expect(letter?.reason).toBe('MAX_DELIVERIES');
    expect((letter?.input as { data: string }).data).toBe(BIG);
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
    expect(letter?.input).toBeUndefined();
    expect(letter?.inputProblem).toContain('stored input was not kept');
    await expect(admin.deadLetters('default').replay(letter?.id ?? '')).rejects.toMatchObject({ code: 'PROTOCOL' });
    expect((await client.big({ data: BIG, at: AT, failTimes: 0 })).n).toBe(BIG.length);
  });

  it('deletes the stored input of a malformed call that names one, when it sets the call aside', async () => {
    const { redis, keys, inputKeys, admin } = await start();
    await redis.set(keys.input('bad.1'), '{"json":{}}', 'PX', 60_000);
    // attempt 0 breaks the envelope; its id and reply target are still readable.
    const raw = '{"v":1,"id":"bad.1","task":"big","stored":1,"reply":{"mode":"hash","client":"nobody"},"deadline":9999999999999,"attempt":0,"sentAt":1}';
    await pushRaw(redis,keys, raw);
    await expect.poll(() => admin.deadLetters('default').count()).toBe(1);
    await expect.poll(inputKeys).toEqual([]);
    expect(await redis.hget(keys.replies('nobody'), 'bad.1')).toContain('"code":"PROTOCOL"');
  });

  it("refuses a stored input over the worker's maxPayloadBytes without running it", async () => {
    const { client, admin, seen, inputKeys } = await start({ maxPayloadBytes: STORED_PAYLOAD_BYTES * 2 });
    const err = await client.big({ data: BIG, at: AT, failTimes: 0 }).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(seen).toEqual([]);
    await expect.poll(inputKeys).toEqual([]);
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

  it.each(['key', 'pubsub'] as const)('hands a large result over through its own key in %s mode, and the caller deletes it', async (replyMode) => {
    const { client, outputKeys } = await start({ replyMode });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.gen({ n: BIG.length + i, at: AT })));
    expect(results.map((r) => r.data.length)).toEqual(Array.from({ length: 10 }, (_, i) => BIG.length + i));
    expect(results[0]?.at).toEqual(AT);
    await expect.poll(outputKeys).toEqual([]);
  });

  it('replies with a small envelope naming the lease token, the output kept for replyTtlMs; inline for an idempotent call', async () => {
    const { redis, keys, outputKeys } = await start();
    const send = (id: string, idem?: string) =>
      pushRaw(
        redis,
        keys,
        encodeCall({
          id,
          task: 'gen',
          input: { json: { n: BIG.length, at: AT.toISOString() }, meta: { values: { at: ['Date'] } } },
          reply: { mode: 'hash', client: 'nobody' },
          deadline: Date.now() + 10_000,
          attempt: 1,
          sentAt: Date.now(),
          ...(idem ? { idem, idemTtl: 10_000 } : {}),
        }),
      );
    await send('plain.1');
    await expect.poll(() => redis.hexists(keys.replies('nobody'), 'plain.1')).toBe(1);
    const reply = (await redis.hget(keys.replies('nobody'), 'plain.1')) ?? '';
    expect(reply).toMatch(/^\{"v":1,"id":"plain\.1","ok":true,"stored":"\d+","fp":"[^"]+"\}$/);
    const token = JSON.parse(reply).stored as string;
    const [outputKey] = await outputKeys();
    expect(outputKey).toBe(keys.output('plain.1', token));
    expect(JSON.parse((await redis.get(outputKey ?? '')) ?? '{}').json.data).toHaveLength(BIG.length);
    expect(await redis.pttl(outputKey ?? '')).toBeGreaterThan(0);
    expect(await redis.pttl(outputKey ?? '')).toBeLessThanOrEqual(60_000);

    await send('idem.1', 'k1');
    await expect.poll(() => redis.hexists(keys.replies('nobody'), 'idem.1')).toBe(1);
    expect(await redis.hget(keys.replies('nobody'), 'idem.1')).toContain('"output":{"json":{"data":"yyy');
    expect(await outputKeys()).toEqual([outputKey]);
  });

  it('answers PROTOCOL when a stored result is gone by the time the caller reads it', async () => {
    const { client, redis, keys, running } = await start();
    let release = () => undefined as void;
    hold = new Promise<void>((r) => (release = r));
    const call = client.gen({ n: BIG.length, at: AT }, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    await expect.poll(() => running.length).toBe(1);
    // A reply naming an output that is not there (as if it had expired), before the real one.
    await redis.rpush(keys.inbox(client.$id), JSON.stringify({ v: 1, id: running[0], ok: true, stored: '999999' }));
    const err = await call;
    release();
    hold = Promise.resolve();
    expect(isTaskwireError(err) && err.code).toBe('PROTOCOL');
    expect((err as Error).message).toContain('stored result');
  });

  it("leaves a fenced worker's stored result to its TTL (a re-sent complete looks the same, and its reply names that key)", async () => {
    const { client, worker, outputKeys, redis } = await start({ worker: { leaseMs: 300, deadlineGraceMs: 100 } });
    const err = await client.gen({ n: BIG.length, at: AT, sleepMs: 1500, behindMs: 10_000 }, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('TIMEOUT');
    await expect.poll(() => worker.stats.fenced, { timeout: 4000 }).toBe(1);
    const [outputKey] = await outputKeys();
    expect(await redis.pttl(outputKey ?? '')).toBeGreaterThan(0);
    expect(await redis.pttl(outputKey ?? '')).toBeLessThanOrEqual(60_000);
  });

  it('deletes a stored result whose caller timed out before it came (key mode), and leaves it to its TTL in pub/sub mode', async () => {
    for (const replyMode of ['key', 'pubsub'] as const) {
      const { client, worker, outputKeys, redis } = await start({ replyMode });
      // The handler ignores ctx.signal and finishes after the caller's deadline, within its lease
      // and, by its worker's clock, in time.
      const err = await client.gen({ n: BIG.length, at: AT, sleepMs: 500, behindMs: 10_000 }, { timeoutMs: 150 }).catch((e: unknown) => e);
      expect(isTaskwireError(err) && err.code).toBe('TIMEOUT');
      await expect.poll(() => worker.stats.succeeded, { timeout: 3000 }).toBe(1);
      if (replyMode === 'key') {
        // The reply reached the inbox while the client still read it (its BLMPOP waits up to a
        // second): nobody waits for the result, so its output goes now.
        await expect.poll(() => outputKeys(), { timeout: 2000 }).toEqual([]);
        // Later than that, the client reads its inbox again on its next call.
        const late = await client.gen({ n: BIG.length, at: AT, sleepMs: 1_800, behindMs: 10_000 }, { timeoutMs: 150 }).catch((e: unknown) => e);
        expect(isTaskwireError(late) && late.code).toBe('TIMEOUT');
        await expect.poll(() => worker.stats.succeeded, { timeout: 4000 }).toBe(2);
        await new Promise((r) => setTimeout(r, 200));
        expect(await outputKeys()).toHaveLength(1);
        expect((await client.gen({ n: 1, at: AT })).data).toBe('y');
        await expect.poll(() => outputKeys(), { timeout: 2000 }).toEqual([]);
      } else {
        // A pub/sub reply does not say which queue it came from: the output key waits out its TTL.
        await new Promise((r) => setTimeout(r, 300));
        const [outputKey] = await outputKeys();
        expect(await redis.pttl(outputKey ?? '')).toBeGreaterThan(0);
      }
    }
  });

  it('sends a large result inline when Redis refuses its key, rather than losing it', async () => {
    const { redis, keys, outputKeys } = await start({ startWorker: false });
    // A worker whose ACL covers every key of the queue but the output keys.
    const { worker, client } = await restrictedWorker(redis, keys, 'nooutput', [`~${keys.base}:[^o]*`]);
    expect((await client.gen({ n: BIG.length, at: AT })).data).toHaveLength(BIG.length);
    expect(worker.stats.succeeded).toBeLessThanOrEqual(1);
    expect(await outputKeys()).toEqual([]);
  });

  it('keeps large inputs and results inline with storeLargeInputs / storeLargeResults false (rollouts among older versions)', async () => {
    const { redis, keys, inputKeys, outputKeys } = await start({ startWorker: false });
    const prefix = keys.base.slice(0, keys.base.indexOf(':{'));
    // The worker from start() is never started; this one stores no results.
    const worker = createWorker(
      contract,
      { big: ({ data, at }) => ({ n: data.length, at, attempt: 1 }), gen: ({ n, at }) => ({ data: 'y'.repeat(n), at }) },
      { redis: redisUrl(), prefix, logger: quietLogger, storeLargeResults: false },
    );
    const client = createClient(contract, { redis: redisUrl(), prefix, storeLargeInputs: false });
    cleanups.push(async () => {
      await client.$close();
      await worker.close();
    });
    const call = client.big({ data: BIG, at: AT, failTimes: 0 }, { noWorkers: 'wait' });
    await expect.poll(() => redis.llen(keys.wait)).toBe(1);
    const [queued] = await redis.lrange(keys.wait, 0, 0);
    expect(queued).toContain('"input":{"json":{"data":"xxx');
    expect(queued).not.toContain('"stored"');
    await worker.start();
    expect((await call).n).toBe(BIG.length);
    // Sent raw with a replies hash to read: the result is in the reply itself.
    await pushRaw(
      redis,
      keys,
      encodeCall({
        id: 'inline.1', task: 'gen', input: { json: { n: BIG.length, at: AT.toISOString() }, meta: { values: { at: ['Date'] } } },
        reply: { mode: 'hash', client: 'nobody' }, deadline: Date.now() + 10_000, attempt: 1, sentAt: Date.now(),
      }),
    );
    await expect.poll(() => redis.hexists(keys.replies('nobody'), 'inline.1')).toBe(1);
    expect(await redis.hget(keys.replies('nobody'), 'inline.1')).toContain('"output":{"json":{"data":"yyy');
    expect(await inputKeys()).toEqual([]);
    expect(await outputKeys()).toEqual([]);
  });

  it('queues nothing when Redis refuses the stored input, and tells the caller', async () => {
    const { worker, redis, keys } = await start();
    // A user that may not write input keys: the refusal is Redis', as an OOM under noeviction would be.
    const user = `tw-noinput-${keys.base.slice(0, keys.base.indexOf(':{'))}`;
    const allowed = ['wait', 'marker', 'workers', 'enq:*', 'inbox:*', 'cancelled', 'deliveries'].map((k) => `~${keys.base}:${k}`);
    await redis.call('ACL', 'SETUSER', user, 'on', 'nopass', 'resetkeys', ...allowed, '&*', '+@all');
    cleanups.push(async () => void (await redis.call('ACL', 'DELUSER', user)));
    const url = new URL(redisUrl());
    url.username = user;
    const client = createClient(contract, { redis: url.toString(), prefix: keys.base.slice(0, keys.base.indexOf(':{')) });
    cleanups.push(() => client.$close());
    const err = await client.big({ data: BIG, at: AT, failTimes: 0 }).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('CONNECTION');
    expect((err as Error).message).toContain('NOPERM');
    // Small calls of the same client still go.
    expect((await client.big({ data: 'small', at: AT, failTimes: 0 })).n).toBe(5);
    expect(worker.stats.taken).toBe(1);
    expect(await redis.xlen(keys.dead)).toBe(0);
  });

  it('answers PROTOCOL when the worker may not read input keys, and the rest of its batch still settles', async () => {
    const { redis, keys } = await start({ startWorker: false });
    // Every key of the queue but the input keys (inbox and idem also begin with an i).
    const patterns = [`~${keys.base}:[^i]*`, `~${keys.base}:inbox:*`, `~${keys.base}:idem:*`];
    const { worker, client } = await restrictedWorker(redis, keys, 'noinput', patterns);
    const t0 = Date.now();
    const [large, ...small] = await Promise.all([
      client.big({ data: BIG, at: AT, failTimes: 0 }, { timeoutMs: 8000 }).catch((e: unknown) => e),
      ...Array.from({ length: 5 }, (_, i) => client.big({ data: `s${i}`, at: AT, failTimes: 0 }, { timeoutMs: 8000 })),
    ]);
    expect(isTaskwireError(large) && large.code).toBe('PROTOCOL');
    expect((large as Error).message).toContain('NOPERM');
    expect(Date.now() - t0).toBeLessThan(4000); // answered, not left to its deadline
    expect(small.map((r) => r.n)).toEqual([2, 2, 2, 2, 2]);
    expect(worker.stats.fenced).toBe(0);
  });

  it('drops the stored input of a call that joined an earlier one with the same idempotency key', async () => {
    const { client, running, inputKeys, keys } = await start();
    let release = () => undefined as void;
    hold = new Promise<void>((r) => (release = r));
    // A large input (stored apart), the same for both calls.
    const input = { n: 10, at: AT, sleepMs: 0, pad: BIG } as { n: number; at: Date };
    const first = client.gen(input, { idempotencyKey: 'same' });
    await expect.poll(() => running.length).toBe(1);
    const monitor = await monitorCommands(redisUrl(), keys.base.slice(0, keys.base.indexOf(':{')));
    cleanups.push(async () => monitor.stop());
    // Same key, same input: joins the first call (enqueue-4 answers -2) and is never queued.
    const second = client.gen(input, { idempotencyKey: 'same' });
    // Its input was stored, then deleted once the enqueue said it joined.
    const touched = (cmd: string) => monitor.seen.filter((c) => c.args[0]?.toLowerCase() === cmd && c.args[1]?.includes(':input:')).map((c) => c.args[1]);
    await expect.poll(() => touched('unlink').length).toBe(1);
    expect(touched('set')).toEqual(touched('unlink'));
    // Only the running first call's input is left.
    expect(await inputKeys()).toHaveLength(1);
    expect(await inputKeys()).not.toContain(touched('set')[0]);
    release();
    hold = Promise.resolve();
    expect((await first).data).toBe((await second).data);
    expect(running).toHaveLength(1);
    await expect.poll(inputKeys).toEqual([]);
  });

  it('deletes the stored input of a call cancelled while it waited to be retried', async () => {
    const { client, seen, inputKeys, redis, keys } = await start();
    const abort = new AbortController();
    // A backoff of up to 10 minutes (full jitter): the retry is still waiting when the call is
    // cancelled, and is then made due by hand.
    const call = client
      .big(
        { data: BIG, at: AT, failTimes: 1 },
        { signal: abort.signal, timeoutMs: 900_000, retry: { attempts: 2, backoffMs: 600_000, maxDelayMs: 600_000 } },
      )
      .catch((e: unknown) => e);
    await expect.poll(() => redis.zcard(keys.delayed)).toBe(1);
    abort.abort();
    expect(isTaskwireError(await call) && ((await call) as { code: string }).code).toBe('CANCELLED');
    expect(await inputKeys()).toHaveLength(1); // still waiting in `delayed`
    const [retry] = await redis.zrange(keys.delayed, 0, 0);
    await redis.zadd(keys.delayed, 0, retry ?? '');
    // Promoted, then dropped unrun by the take, which deletes its input.
    await expect.poll(() => redis.zcard(keys.delayed), { timeout: 3000 }).toBe(0);
    await expect.poll(inputKeys, { timeout: 3000 }).toEqual([]);
    expect(seen).toEqual([BIG.length]);
  });
});
