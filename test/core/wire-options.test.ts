import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createWorker, router, task, type Serializer } from '../../src/index.js';
import { queueKeys } from '../../src/wire/keys.js';
import { quietLogger, setup } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

it('keeps every key of a queue under the prefix and the queue hash tag', async () => {
  const env = await setup();
  cleanups.push(() => env.cleanup());
  await env.client.tasks.resize({ url: 'https://x.test/a.png', width: 1 });
  await env.client.math.add({ a: 1, b: 2 }, { replyMode: 'pubsub' });
  await env.client.tasks.resize({ url: 'https://x.test/missing', width: 1 }).catch(() => undefined);
  await env.client.math.add({ a: 1, b: 2 }, { idempotencyKey: 'k1' });
  const keys = await env.redis.keys(`${env.prefix}:*`);
  expect(keys.length).toBeGreaterThan(0);
  for (const key of keys) expect(key).toMatch(new RegExp(`^${env.prefix}:\\{(images|default)\\}:`));
  // Nothing of this test exists outside its prefix.
  expect((await env.redis.keys('*')).filter((k) => k.includes(env.prefix) && !k.startsWith(`${env.prefix}:`))).toEqual([]);
});

it('carries headers to ctx.headers', async () => {
  const prefix = randomPrefix();
  const contract = router({ who: task({ input: z.null(), output: z.record(z.string(), z.string()) }) });
  const worker = createWorker(contract, { who: (_input, ctx) => ({ ...ctx.headers }) }, { redis: redisUrl(), prefix, logger: quietLogger });
  await worker.start();
  const client = createClient(contract, { redis: redisUrl(), prefix });
  const insp = inspector(prefix);
  cleanups.push(async () => {
    await client.$close();
    await worker.close();
    await insp.cleanup();
  });
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  expect(await client.who(null, { headers: { traceparent } })).toEqual({ traceparent });
});

it('uses a custom serializer on both ends instead of superjson', async () => {
  const prefix = randomPrefix();
  const seen: unknown[] = [];
  // Plain JSON wrapped in a marker, so the test can tell it was used.
  const json: Serializer = {
    serialize: (value) => ({ plain: value === undefined ? null : value }),
    deserialize: (payload) => {
      seen.push(payload);
      return (payload as { plain: unknown }).plain;
    },
  };
  const contract = router({ add: task({ input: z.object({ a: z.number(), b: z.number() }), output: z.number() }) });
  const worker = createWorker(contract, { add: ({ a, b }) => a + b }, { redis: redisUrl(), prefix, serializer: json, logger: quietLogger });
  await worker.start();
  const client = createClient(contract, { redis: redisUrl(), prefix, serializer: json });
  const insp = inspector(prefix);
  cleanups.push(async () => {
    await client.$close();
    await worker.close();
    await insp.cleanup();
  });
  expect(await client.add({ a: 2, b: 40 })).toBe(42);
  expect(seen).toEqual([{ plain: { a: 2, b: 40 } }, { plain: 42 }]);
});

it('reads replies pushed on the inbox, unlinks their reply keys, and still reads a reply announced by call id only (older workers)', async () => {
  const prefix = randomPrefix();
  const contract = router({ add: task({ input: z.object({ a: z.number(), b: z.number() }), output: z.number() }) });
  const client = createClient(contract, { redis: redisUrl(), prefix, noWorkers: 'wait' });
  const insp = inspector(prefix);
  cleanups.push(async () => {
    await client.$close();
    await insp.cleanup();
  });
  const keys = queueKeys(prefix, 'default');
  const pending = [client.add({ a: 1, b: 2 }), client.add({ a: 5, b: 5 })];
  await expect.poll(() => insp.redis.llen(keys.wait)).toBe(2);
  const [first, second] = (await insp.redis.lrange(keys.wait, 0, -1)).map((raw) => JSON.parse(raw) as { id: string; reply: { client: string } });
  if (!first || !second) throw new Error('calls not queued');
  // Played by hand: the current worker (reply on the inbox, and at its reply key) ...
  const reply1 = `{"v":1,"id":"${first.id}","ok":true,"output":{"json":3}}`;
  await insp.redis.set(keys.reply(first.id), reply1, 'PX', 60_000);
  await insp.redis.rpush(keys.inbox(first.reply.client), reply1);
  // ... and a worker before the inbox carried replies (the id only; the reply at its key).
  await insp.redis.set(keys.reply(second.id), `{"v":1,"id":"${second.id}","ok":true,"output":{"json":10}}`, 'PX', 60_000);
  await insp.redis.rpush(keys.inbox(second.reply.client), second.id);
  expect(await Promise.all(pending)).toEqual([3, 10]);
  await expect.poll(() => insp.redis.exists(keys.reply(first.id), keys.reply(second.id))).toBe(0);
});

it('unlinks the reply key of a call that finished right before the client closed', async () => {
  const prefix = randomPrefix();
  const contract = router({ add: task({ input: z.object({ a: z.number(), b: z.number() }), output: z.number() }) });
  const worker = createWorker(contract, { add: ({ a, b }) => a + b }, { redis: redisUrl(), prefix, logger: quietLogger });
  await worker.start();
  const client = createClient(contract, { redis: redisUrl(), prefix });
  const insp = inspector(prefix);
  cleanups.push(async () => {
    await worker.close();
    await insp.cleanup();
  });
  expect(await client.add({ a: 2, b: 3 })).toBe(5);
  // The UNLINK of a read reply key is sent a turn later (after the enqueues its reply let
  // start); close() must send it before QUIT, or the reply would sit in Redis for replyTtlMs.
  await client.$close();
  const keys = queueKeys(prefix, 'default');
  expect(await insp.redis.keys(`${keys.base}:reply:*`)).toEqual([]);
});
