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

it('sends reply mode "key" as wire mode "hash", reads replies pushed on the inbox and deletes their fields from the replies hash', async () => {
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
  const calls = (await insp.redis.lrange(keys.wait, 0, -1)).map((raw) => JSON.parse(raw) as { id: string; reply: { mode: string; client: string } });
  expect(calls.map((c) => c.reply)).toEqual([
    { mode: 'hash', client: client.$id },
    { mode: 'hash', client: client.$id },
  ]);
  // Played by hand, as complete-4.lua does it: each reply in the replies hash and on the inbox.
  const replies = calls.map((c, i) => `{"v":1,"id":"${c.id}","ok":true,"output":{"json":${[3, 10][i]}}}`);
  const hash = keys.replies(client.$id);
  await insp.redis.hset(hash, calls[0]!.id, replies[0]!, calls[1]!.id, replies[1]!);
  // A field no call of this client owns any more (its caller timed out, say) is left alone here:
  // only the sweep after a reconnect reads the whole hash.
  await insp.redis.hset(hash, 'gone.1', '{"v":1,"id":"gone.1","ok":true,"output":{"json":0}}');
  await insp.redis.rpush(keys.inbox(client.$id), ...replies);
  expect(await Promise.all(pending)).toEqual([3, 10]);
  await expect.poll(() => insp.redis.hkeys(hash)).toEqual(['gone.1']);
});

it('leaves no inbox, replies hash or reply key behind when it closes', async () => {
  const prefix = randomPrefix();
  const contract = router({ add: task({ input: z.object({ a: z.number(), b: z.number() }), output: z.number() }) });
  const worker = createWorker(contract, { add: async ({ a, b }) => (a === 0 ? new Promise<number>((r) => setTimeout(() => r(b), 300)) : a + b) }, {
    redis: redisUrl(),
    prefix,
    logger: quietLogger,
  });
  await worker.start();
  const client = createClient(contract, { redis: redisUrl(), prefix });
  const insp = inspector(prefix);
  cleanups.push(async () => {
    await worker.close();
    await insp.cleanup();
  });
  const keys = queueKeys(prefix, 'default');
  expect(await client.add({ a: 2, b: 3 })).toBe(5);
  // One call still running at close: its reply arrives after the client is gone.
  const late = client.add({ a: 0, b: 1 }).catch((err: unknown) => err);
  await expect.poll(() => worker.running).toBe(1);
  // The HDEL of a read reply is sent up to 20 ms later (reply-inbox.ts), and the late reply
  // recreates the hash: close() deletes the client's inbox and hash, and what a
  // worker writes afterwards expires.
  await client.$close();
  expect(await late).toMatchObject({ code: 'CLOSED' });
  expect(await insp.redis.keys(`${keys.base}:re*`)).toEqual([]);
  expect(await insp.redis.keys(`${keys.base}:inbox:*`)).toEqual([]);
  await expect.poll(() => worker.running, { timeout: 2000 }).toBe(0);
  await new Promise((r) => setTimeout(r, 100));
  const left = await insp.redis.keys(`${keys.base}:re*`);
  expect(left).toEqual([keys.replies(client.$id)]);
  expect(await insp.redis.pttl(left[0]!)).toBeGreaterThan(0);
});

it('tells its logger, once, when Redis refuses deleting the replies it has read, and its calls still succeed', async () => {
  const prefix = randomPrefix();
  const contract = router({ add: task({ input: z.object({ a: z.number(), b: z.number() }), output: z.number() }) });
  const worker = createWorker(contract, { add: ({ a, b }) => a + b }, { redis: redisUrl(), prefix, logger: quietLogger });
  await worker.start();
  const insp = inspector(prefix);
  // A client whose ACL lacks HDEL (a misconfiguration the docs warn about).
  const user = `tw-nohdel-${prefix}`;
  await insp.redis.call('ACL', 'SETUSER', user, 'on', 'nopass', `~${prefix}:*`, '&*', '+@all', '-hdel');
  const url = new URL(redisUrl());
  url.username = user;
  const warnings: Array<{ message: string; detail?: Record<string, unknown> }> = [];
  const client = createClient(contract, {
    redis: url.toString(),
    prefix,
    logger: { warn: (message, detail) => void warnings.push({ message, ...(detail ? { detail } : {}) }), error: () => undefined },
  });
  cleanups.push(async () => {
    await client.$close();
    await worker.close();
    await insp.redis.call('ACL', 'DELUSER', user);
    await insp.cleanup();
  });
  for (let i = 0; i < 3; i++) {
    expect(await client.add({ a: i, b: 1 })).toBe(i + 1);
    await new Promise((r) => setTimeout(r, 40)); // past the 20 ms delete batching
  }
  expect(warnings).toHaveLength(1);
  expect(warnings[0]?.message).toContain('refused');
  expect(warnings[0]?.detail).toMatchObject({ code: 'NOPERM' });
  // The read replies stayed behind, as the warning says.
  expect(await insp.redis.hlen(queueKeys(prefix, 'default').replies(client.$id))).toBe(3);
});
