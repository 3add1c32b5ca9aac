import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createWorker, isTaskwireError, router, task } from '../../src/index.js';
import { QueueStore } from '../../src/transport/queue-store.js';
import { queueKeys } from '../../src/wire/keys.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

/**
 * Issue 13, point 6: an idempotency key reused with another input is an error naming the key
 * (as payment APIs answer), not the first call's result handed to a caller who asked for
 * something else.
 */
const contract = router({
  pay: task({ input: z.object({ amount: z.number(), to: z.string() }), output: z.string() }),
  refund: task({ input: z.object({ amount: z.number(), to: z.string() }), output: z.string() }),
});

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function start() {
  const prefix = randomPrefix();
  const runs: string[] = [];
  let release = () => undefined as void;
  let hold = Promise.resolve();
  const worker = createWorker(
    contract,
    {
      pay: async ({ amount, to }, ctx) => {
        runs.push(`pay ${amount} ${to}`);
        await Promise.race([hold, new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)))]);
        return `paid ${amount} to ${to}`;
      },
      refund: ({ amount }) => `refunded ${amount}`,
    },
    { redis: redisUrl(), prefix, logger: quietLogger },
  );
  await worker.start();
  const client = createClient(contract, { redis: redisUrl(), prefix });
  const insp = inspector(prefix);
  cleanup = async () => {
    release();
    await client.$close();
    await worker.close();
    await insp.cleanup();
  };
  return {
    prefix,
    client,
    runs,
    redis: insp.redis,
    holdRuns: () => (hold = new Promise<void>((r) => (release = r))),
    release: () => release(),
  };
}

it('refuses a key reused with another input with IDEMPOTENCY_CONFLICT naming the key, while the first call runs and after it finished', async () => {
  const env = await start();
  env.holdRuns();
  const first = env.client.pay({ amount: 10, to: 'ann' }, { idempotencyKey: 'order-1' });
  await expect.poll(() => env.runs).toEqual(['pay 10 ann']);
  const running = await env.client.pay({ amount: 99, to: 'ann' }, { idempotencyKey: 'order-1' }).catch((e: unknown) => e);
  expect(isTaskwireError(running) && running.code).toBe('IDEMPOTENCY_CONFLICT');
  expect((running as Error).message).toContain('"order-1"');
  expect((running as { data: unknown }).data).toMatchObject({ task: 'pay', idempotencyKey: 'order-1' });
  env.release();
  expect(await first).toBe('paid 10 to ann');
  const after = await env.client.pay({ amount: 99, to: 'ann' }, { idempotencyKey: 'order-1' }).catch((e: unknown) => e);
  expect(isTaskwireError(after) && after.code).toBe('IDEMPOTENCY_CONFLICT');
  // The same input still gets the one result, its keys in any order.
  expect(await env.client.pay({ to: 'ann', amount: 10 }, { idempotencyKey: 'order-1' })).toBe('paid 10 to ann');
  expect(env.runs).toEqual(['pay 10 ann']);
});

it('treats the same key on another task of the queue as a conflict', async () => {
  const env = await start();
  expect(await env.client.pay({ amount: 5, to: 'bo' }, { idempotencyKey: 'k' })).toBe('paid 5 to bo');
  const err = await env.client.refund({ amount: 5, to: 'bo' }, { idempotencyKey: 'k' }).catch((e: unknown) => e);
  expect(isTaskwireError(err) && err.code).toBe('IDEMPOTENCY_CONFLICT');
});

it('frees the key with its result: after the ttl another input runs', async () => {
  const env = await start();
  expect(await env.client.pay({ amount: 1, to: 'cy' }, { idempotencyKey: 'short', idempotencyTtlMs: 200 })).toBe('paid 1 to cy');
  await new Promise((r) => setTimeout(r, 300));
  expect(await env.client.pay({ amount: 2, to: 'cy' }, { idempotencyKey: 'short', idempotencyTtlMs: 200 })).toBe('paid 2 to cy');
});

it('keeps the owner of a key as long as its stored result, and answers a re-sent conflicting enqueue the same', async () => {
  const env = await start();
  expect(await env.client.pay({ amount: 3, to: 'di' }, { idempotencyKey: 'long', idempotencyTtlMs: 60_000 })).toBe('paid 3 to di');
  const keys = queueKeys(env.prefix, 'default');
  const idem = keys.idempotency('long');
  expect(await env.redis.pttl(idem)).toBeGreaterThan(50_000);
  expect(Math.abs((await env.redis.pttl(idem)) - (await env.redis.pttl(`${idem}:result`)))).toBeLessThan(1_000);
  // The same enqueue twice (ioredis re-sends a command whose answer was lost): -4 both times,
  // never 0 ("enqueued before"), which would leave its caller waiting for a reply.
  const store = new QueueStore(env.redis);
  const request = { raw: '{}', callId: 'x.1', workerTtlMs: 0, idem, idemTtlMs: 60_000, replySpec: '-', replyTtlMs: 1000, inboxTtlMs: 1000, sentTtlMs: 10_000, inputHash: 'ffffffffffffffff' };
  expect(await store.enqueue(keys, request)).toBe(-4);
  expect(await store.enqueue(keys, request)).toBe(-4);
});

it('frees the key of a call cancelled while queued or while running: the next call with it runs', async () => {
  const env = await start();
  // Running: its handler is told (ctx.signal) and ends CANCELLED.
  env.holdRuns();
  const running = new AbortController();
  const first = env.client.pay({ amount: 1, to: 'ed' }, { idempotencyKey: 'run-cancel', signal: running.signal });
  await expect.poll(() => env.runs).toEqual(['pay 1 ed']);
  running.abort();
  await expect(first).rejects.toMatchObject({ code: 'CANCELLED' });
  const keys = queueKeys(env.prefix, 'default');
  await expect.poll(() => env.redis.exists(keys.idempotency('run-cancel')), { timeout: 3_000 }).toBe(0);
  env.release();
  expect(await env.client.pay({ amount: 1, to: 'ed' }, { idempotencyKey: 'run-cancel' })).toBe('paid 1 to ed');
  expect(env.runs).toEqual(['pay 1 ed', 'pay 1 ed']);

  // Withdrawn before any worker took it (delayed): its key goes with it.
  const queued = new AbortController();
  const late = env.client.pay({ amount: 2, to: 'ed' }, { idempotencyKey: 'queue-cancel', signal: queued.signal, delayMs: 5_000 });
  await expect.poll(() => env.redis.exists(keys.idempotency('queue-cancel'))).toBe(1);
  queued.abort();
  await expect(late).rejects.toMatchObject({ code: 'CANCELLED' });
  await expect.poll(() => env.redis.exists(keys.idempotency('queue-cancel')), { timeout: 3_000 }).toBe(0);
});

it('tells the callers that joined a key CANCELLED at once when the call that owns it is withdrawn before it ran', async () => {
  const prefix = randomPrefix();
  const insp = inspector(prefix);
  // No worker: the owner waits in the queue until its caller gives up.
  const owner = createClient(contract, { redis: redisUrl(), prefix, noWorkers: 'wait' });
  const joiner = createClient(contract, { redis: redisUrl(), prefix, noWorkers: 'wait' });
  cleanup = async () => {
    await owner.$close();
    await joiner.$close();
    await insp.cleanup();
  };
  const first = owner.pay({ amount: 5, to: 'bob' }, { idempotencyKey: 'order-9', timeoutMs: 400 }).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  const joined = joiner.pay({ amount: 5, to: 'bob' }, { idempotencyKey: 'order-9', timeoutMs: 10_000 }).catch((e: unknown) => e);
  const [a, b] = await Promise.all([first, joined]);
  expect(isTaskwireError(a) && a.code).toBe('TIMEOUT');
  expect(isTaskwireError(b) && [b.code, b.message]).toEqual(['CANCELLED', 'the call this one joined (same idempotency key) was withdrawn before it ran: send it again']);
  expect(Date.now() - t0).toBeLessThan(3_000);
  // Sent again, the key is free: this call owns it now.
  const again = joiner.pay({ amount: 5, to: 'bob' }, { idempotencyKey: 'order-9', timeoutMs: 300 }).catch((e: unknown) => e);
  expect(isTaskwireError(await again) && ((await again) as { code: string }).code).toBe('TIMEOUT');
});
