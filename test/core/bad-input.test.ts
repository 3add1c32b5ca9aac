import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createWorker, isTaskwireError, router, task } from '../../src/index.js';
import { encodeCall } from '../../src/wire/envelope.js';
import { queueKeys } from '../../src/wire/keys.js';
import { contract, quietLogger, setup } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl, pushRaw } from '../support/redis.js';

function code(err: unknown): string | undefined {
  return isTaskwireError(err) ? err.code : undefined;
}

async function deadLetters(redis: import('ioredis').Redis, key: string): Promise<Array<Record<string, string>>> {
  const entries = await redis.xrange(key, '-', '+');
  return entries.map(([, fields]) => {
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i] as string] = fields[i + 1] as string;
    return out;
  });
}

describe('bad input', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  afterEach(async () => env?.cleanup());

  it('rejects invalid arguments on the client with VALIDATION and sends nothing', async () => {
    env = await setup({ startWorker: false, client: { noWorkers: 'wait' } });
    const err = await env.client.tasks.resize({ url: 'not a url', width: -1 }).catch((e: unknown) => e);
    expect(code(err)).toBe('VALIDATION');
    const data = (err as { data: { task: string; issues: Array<{ path: unknown[] }> } }).data;
    expect(data.task).toBe('tasks.resize');
    expect(data.issues.map((i) => i.path[0]).sort()).toEqual(['url', 'width']);
    expect(await env.redis.llen(queueKeys(env.prefix, 'images').wait)).toBe(0);
  });

  it('validates again on the worker: a raw call with bad input gets VALIDATION back', async () => {
    env = await setup();
    {
      const keys = queueKeys(env.prefix, 'default');
      // Pretend to be an old or foreign caller that skipped validation: push an envelope by hand.
      const id = 'manual-1';
      await pushRaw(
        env.redis,
        keys,
        encodeCall({ id, task: 'math.add', input: { json: { a: 'x', b: 1 } }, reply: { mode: 'hash', client: 'c1' }, deadline: Date.now() + 5000, attempt: 1, sentAt: Date.now() }),
      );
      // The reply arrives on the caller's inbox, and is kept in its replies hash as well.
      const [, pushed] = (await env.redis.blpop(keys.inbox('c1'), 5)) ?? [];
      expect(pushed).toBe(await env.redis.hget(keys.replies('c1'), id));
      const reply = JSON.parse(pushed ?? '{}');
      expect(reply.id).toBe(id);
      expect(reply.ok).toBe(false);
      expect(reply.error.code).toBe('VALIDATION');
      expect(reply.error.message).toContain('a');
    }
  });

  it('answers a raw idempotent call that names no ttl, keeping its result for the default ttl', async () => {
    env = await setup();
    const keys = queueKeys(env.prefix, 'default');
    // A foreign caller's envelope: an idempotency key without idemTtl. Settled with PX 0, its
    // SET failed the whole settle batch, and every call in that batch with it.
    await pushRaw(
      env.redis,
      keys,
      encodeCall({ id: 'manual-idem', task: 'math.add', input: { json: { a: 1, b: 1 } }, reply: { mode: 'hash', client: 'c9' }, deadline: Date.now() + 5000, attempt: 1, sentAt: Date.now(), idem: 'k1' }),
    );
    const [, pushed] = (await env.redis.blpop(keys.inbox('c9'), 5)) ?? [];
    expect(JSON.parse(pushed ?? '{}')).toMatchObject({ id: 'manual-idem', ok: true });
    const ttl = await env.redis.pttl(`${keys.idempotency('k1')}:result`);
    expect(ttl).toBeGreaterThan(59 * 60_000);
  });

  it('sets garbage aside with a reason and keeps serving good calls behind it', async () => {
    env = await setup();
    const keys = queueKeys(env.prefix, 'default');
    await pushRaw(env.redis,keys, 'not json at all', '{"v":1,"id":"x"}', '[1,2,3]', '{"v":99,"id":"y","reply":{"mode":"hash","client":"c2"}}');
    expect(await env.client.math.add({ a: 1, b: 2 })).toBe(3);
    await expect.poll(async () => (await deadLetters(env.redis, keys.dead)).length, { timeout: 5000 }).toBe(4);
    const dead = await deadLetters(env.redis, keys.dead);
    expect(dead.every((d) => d['reason']?.startsWith('PROTOCOL'))).toBe(true);
    expect(dead.map((d) => d['envelope'])).toContain('not json at all');
    // The message that still named a caller got told.
    const reply = JSON.parse((await env.redis.hget(keys.replies('c2'), 'y')) ?? '{}');
    expect(reply.error.code).toBe('PROTOCOL');
    expect(env.worker.stats.deadLettered).toBe(4);
    // Delivery counters of the messages whose id could be read are gone with them.
    expect(await env.redis.hlen(keys.deliveries)).toBe(0);
  });

  it('answers UNKNOWN_TASK to a call for a task the worker does not have, and dead-letters it', async () => {
    env = await setup();
    const keys = queueKeys(env.prefix, 'default');
    await pushRaw(
      env.redis,
      keys,
      encodeCall({ id: 'u1', task: 'math.nope', input: { json: {} }, reply: { mode: 'hash', client: 'c3' }, deadline: Date.now() + 5000, attempt: 1, sentAt: Date.now() }),
    );
    await expect.poll(async () => env.redis.hget(keys.replies('c3'), 'u1'), { timeout: 5000 }).not.toBeNull();
    const reply = JSON.parse((await env.redis.hget(keys.replies('c3'), 'u1')) ?? '{}');
    expect(reply.error.code).toBe('UNKNOWN_TASK');
    expect((await deadLetters(env.redis, keys.dead))[0]?.['reason']).toBe('UNKNOWN_TASK');
  });

  it('refuses an oversized call on the client with PAYLOAD_TOO_LARGE before sending', async () => {
    env = await setup({ client: { maxPayloadBytes: 10_000 } });
    const err = await env.client.math.echo({ when: new Date(), tags: new Set(['x'.repeat(20_000)]), counts: new Map() }).catch((e: unknown) => e);
    expect(code(err)).toBe('PAYLOAD_TOO_LARGE');
    expect((err as { data: { limit: number } }).data.limit).toBe(10_000);
    expect(await env.redis.llen(queueKeys(env.prefix, 'default').wait)).toBe(0);
  });

  it('discards an oversized raw message on the worker unread, with the reason', async () => {
    env = await setup({ worker: { maxPayloadBytes: 1000 } });
    const keys = queueKeys(env.prefix, 'default');
    await pushRaw(env.redis,keys, `{"v":1,"id":"big","pad":"${'x'.repeat(5000)}"}`);
    expect(await env.client.math.add({ a: 1, b: 1 })).toBe(2);
    const dead = await deadLetters(env.redis, keys.dead);
    expect(dead[0]?.['reason']).toBe('PAYLOAD_TOO_LARGE');
    expect(dead[0]?.['envelope']?.length).toBeGreaterThan(5000);
  });

  it('answers PAYLOAD_TOO_LARGE at once when a result exceeds the worker\'s limit, and keeps serving', async () => {
    const prefix = randomPrefix();
    const grow = router({ grow: task({ input: z.object({ n: z.number() }), output: z.string() }) });
    const worker = createWorker(grow, { grow: ({ n }) => 'x'.repeat(n) }, { redis: redisUrl(), prefix, maxPayloadBytes: 2000, logger: quietLogger });
    await worker.start();
    const client = createClient(grow, { redis: redisUrl(), prefix });
    const insp = inspector(prefix);
    try {
      const started = Date.now();
      const err = await client.grow({ n: 5000 }).catch((e: unknown) => e);
      expect(code(err)).toBe('PAYLOAD_TOO_LARGE');
      expect((err as { data: unknown }).data).toMatchObject({ task: 'grow', limit: 2000 });
      expect((err as { data: { bytes: number } }).data.bytes).toBeGreaterThan(5000);
      expect(Date.now() - started).toBeLessThan(2000); // told, not left to its 30 s deadline
      expect(worker.stats.failed).toBe(1);
      expect(await client.grow({ n: 10 })).toBe('x'.repeat(10));
    } finally {
      await client.$close();
      await worker.close();
      await insp.cleanup();
    }
  });

  it('rejects a call with TIMEOUT by its deadline when the handler is too slow', async () => {
    env = await setup();
    const started = Date.now();
    const err = await env.client.math.slow({ ms: 5000 }, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(code(err)).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(env.client.$pending).toBe(0);
  });

  it('fails fast with NO_WORKERS when nobody serves the queue', async () => {
    env = await setup({ startWorker: false });
    const err = await env.client.math.add({ a: 1, b: 1 }).catch((e: unknown) => e);
    expect(code(err)).toBe('NO_WORKERS');
    expect((err as { data: { queue: string } }).data.queue).toBe('default');
  });

  it('waits for a worker when asked to, and completes once one starts', async () => {
    env = await setup({ startWorker: false });
    const call = env.client.math.add({ a: 1, b: 1 }, { noWorkers: 'wait', timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 200));
    await env.worker.start();
    expect(await call).toBe(2);
  });

  it('rejects with CANCELLED at once when aborted and withdraws the queued call', async () => {
    env = await setup({ startWorker: false, client: { noWorkers: 'wait' } });
    const ac = new AbortController();
    const call = env.client.math.add({ a: 1, b: 1 }, { signal: ac.signal });
    const keys = queueKeys(env.prefix, 'default');
    await expect.poll(() => env.redis.llen(keys.wait)).toBe(1);
    ac.abort();
    expect(code(await call.catch((e: unknown) => e))).toBe('CANCELLED');
    await expect.poll(() => env.redis.llen(keys.wait)).toBe(0);
  });

  it('applies a default deadline to calls that set none', async () => {
    env = await setup({ client: { defaultTimeoutMs: 300 } });
    const err = await env.client.math.slow({ ms: 3000 }).catch((e: unknown) => e);
    expect(code(err)).toBe('TIMEOUT');
    expect((err as { data: { timeoutMs: number } }).data.timeoutMs).toBe(300);
  });
});

describe('Redis unreachable', () => {
  it('fails a call with CONNECTION by its deadline instead of hanging', async () => {
    // Port 1 on loopback: nothing listens there.
    const client = createClient(contract, { redis: 'redis://127.0.0.1:1', prefix: 'unreachable' });
    const started = Date.now();
    const err = await client.math.add({ a: 1, b: 1 }, { timeoutMs: 500 }).catch((e: unknown) => e);
    expect(code(err)).toBe('CONNECTION');
    expect(Date.now() - started).toBeLessThan(2000);
    await client.$close();
  });
});

describe('one AbortSignal shared by many calls', () => {
  it('cancels them all with one listener, and leaves none behind when they settle', async () => {
    const { EventEmitter } = await import('node:events');
    const getEventListeners = (s: AbortSignal, name: string) => EventEmitter.getEventListeners(s, name);
    const env = await setup({ startWorker: false, client: { noWorkers: 'wait' } });
    try {
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.name);
      process.on('warning', onWarning);
      const ac = new AbortController();
      const calls = Array.from({ length: 50 }, (_, i) => env.client.math.add({ a: i, b: 0 }, { signal: ac.signal }).catch((e: unknown) => e));
      await expect.poll(() => env.client.$pending).toBe(50);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
      ac.abort();
      expect((await Promise.all(calls)).every((e) => code(e) === 'CANCELLED')).toBe(true);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
      // Settled without an abort: the shared listener goes away with the last call.
      const ac2 = new AbortController();
      await env.worker.start();
      await Promise.all(Array.from({ length: 20 }, () => env.client.math.add({ a: 1, b: 1 }, { signal: ac2.signal })));
      expect(getEventListeners(ac2.signal, 'abort')).toHaveLength(0);
      process.off('warning', onWarning);
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      await env.cleanup();
    }
  });
});

describe('calls that cannot be encoded', () => {
  it('rejects with VALIDATION, not a hang, when a custom serializer yields what JSON cannot hold (sync and async schemas)', async () => {
    const prefix = randomPrefix();
    const bigints = { serialize: (v: unknown) => ({ v, n: 1n }), deserialize: (p: unknown) => (p as { v: unknown }).v };
    const c = router({
      plain: task({ input: z.object({ a: z.number() }), output: z.number() }),
      slow: task({ input: z.object({ a: z.number() }).refine(async () => true), output: z.number() }),
    });
    const client = createClient(c, { redis: redisUrl(), prefix, serializer: bigints, noWorkers: 'wait' });
    try {
      for (const call of [() => client.plain({ a: 1 }), () => client.slow({ a: 1 })]) {
        const err = await call().catch((e: unknown) => e);
        expect(code(err)).toBe('VALIDATION');
        expect((err as Error).message).toContain('cannot be encoded');
      }
      expect(client.$pending).toBe(0);
    } finally {
      await client.$close();
    }
  });
});
