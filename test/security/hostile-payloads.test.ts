import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createWorker, isTaskwireError, router, task } from '../../src/index.js';
import { encodeCall } from '../../src/wire/envelope.js';
import { queueKeys } from '../../src/wire/keys.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, pushRaw, randomPrefix, redisUrl } from '../support/redis.js';

/**
 * Hostile payloads on the call and the reply path (docs/SECURITY.md, *Parsing limits*): a key
 * named __proto__ in any form, superjson meta that names one, and values nested deeper than a
 * recursive schema can walk. None reaches a handler or a caller, none pollutes a prototype, and
 * the worker goes on serving.
 */

type Tree = Array<Tree>;
const tree: z.ZodType<Tree> = z.lazy(() => z.array(tree));
const hostile = router({
  bag: task({ input: z.object({ data: z.unknown() }), output: z.unknown() }),
  depth: task({ input: tree, output: z.number() }),
  hold: task({ input: z.object({}), output: z.string() }),
});

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  delete (Object.prototype as Record<string, unknown>)['polluted'];
});

async function start() {
  const prefix = randomPrefix();
  const ran: unknown[] = [];
  const worker = createWorker(
    hostile,
    {
      bag: ({ data }) => {
        ran.push(data);
        // What a careless handler does: assignment semantics copy a __proto__ key into a prototype.
        Object.assign({}, data);
        return data;
      },
      depth: () => 1,
      hold: async () => {
        await new Promise((r) => setTimeout(r, 800));
        return 'genuine';
      },
    },
    { redis: redisUrl(), prefix, logger: quietLogger },
  );
  await worker.start();
  const ids: string[] = [];
  const client = createClient(hostile, { redis: redisUrl(), prefix, replyMode: 'pubsub', interceptors: [{ prepare: (call) => void ids.push(call.id) }] });
  const insp = inspector(prefix);
  cleanups.push(async () => {
    await client.$close();
    await worker.close();
    await insp.cleanup();
  });
  return { prefix, client, ran, ids, redis: insp.redis, keys: queueKeys(prefix, 'default') };
}

const polluted = () => ({}) as Record<string, unknown>;

it('refuses calls with a __proto__ key, plain or \\u-escaped, or superjson meta naming one; a "__proto__" inside a string is fine', async () => {
  const { client, ran, redis, keys } = await start();
  const now = Date.now();
  const envelope = (id: string, input: string) =>
    encodeCall({ id, task: 'bag', input: { json: null }, reply: { mode: 'hash', client: 'hostile' }, deadline: now + 10_000, attempt: 1, sentAt: now }).replace(
      '"input":{"json":null}',
      `"input":${input}`,
    );
  await pushRaw(
    redis,
    keys,
    envelope('h1', '{"json":{"data":{"__proto__":{"polluted":true}}}}'),
    envelope('h2', '{"json":{"data":{"\\u005f_proto__":{"polluted":true}}}}'),
    envelope('h3', '{"json":{"data":{"a":1}},"meta":{"values":{"data.__proto__.polluted":["undefined"]}}}'),
  );
  await expect.poll(() => redis.hlen(keys.replies('hostile')), { timeout: 5000 }).toBe(3);
  for (const id of ['h1', 'h2', 'h3']) {
    const reply = JSON.parse((await redis.hget(keys.replies('hostile'), id)) ?? '{}') as { error?: { code: string; message: string } };
    expect([id, reply.error?.code]).toEqual([id, 'PROTOCOL']);
  }
  expect(JSON.parse((await redis.hget(keys.replies('hostile'), 'h1')) ?? '{}').error.message).toContain('__proto__');
  expect(ran).toEqual([]);
  expect(polluted()['polluted']).toBeUndefined();
  // The same word as data is data; and the worker still serves.
  expect(await client.bag({ data: { text: 'a "__proto__" in a string', esc: '\u0001' } })).toEqual({ text: 'a "__proto__" in a string', esc: '\u0001' });
});

it('refuses a stored input with a __proto__ key (the worker parses that text itself)', async () => {
  const { client, ran, redis, keys } = await start();
  const now = Date.now();
  await redis.set(keys.input('s1'), `{"json":{"data":{"pad":"${'x'.repeat(10_000)}","__proto__":{"polluted":true}}}}`, 'PX', 60_000);
  await pushRaw(redis, keys, encodeCall({ id: 's1', task: 'bag', stored: 1, reply: { mode: 'hash', client: 'stored' }, deadline: now + 10_000, attempt: 1, sentAt: now }));
  await expect.poll(() => redis.hget(keys.replies('stored'), 's1'), { timeout: 5000 }).not.toBeNull();
  const reply = JSON.parse((await redis.hget(keys.replies('stored'), 's1')) ?? '{}') as { error: { code: string; message: string } };
  expect([reply.error.code, reply.error.message]).toEqual(['PROTOCOL', 'the stored input of bag: a key named "__proto__" (prototype pollution) is refused']);
  // A taskwire client never writes one: its serializer refuses the key.
  const err = await client.bag({ data: JSON.parse('{"__proto__":{"polluted":true}}') as unknown }).catch((e: unknown) => e);
  expect(isTaskwireError(err) && err.code).toBe('VALIDATION');
  expect(ran).toEqual([]);
  expect(polluted()['polluted']).toBeUndefined();
});

it('refuses a forged reply with a __proto__ key: the caller never takes it as its result', async () => {
  const { client, redis, prefix, ids } = await start();
  // Pub/sub replies are heard once subscribed: a first call subscribes.
  expect(await client.bag({ data: 1 })).toBe(1);
  const pending = client.hold({});
  const id = ids[ids.length - 1] ?? '';
  // Sent while the handler still runs: the forgery arrives first.
  await redis.publish(`${prefix}:reply:${client.$id}`, `{"v":1,"id":"${id}","ok":true,"output":{"json":{"__proto__":{"polluted":true}}}}`);
  expect(await pending).toBe('genuine');
  expect(polluted()['polluted']).toBeUndefined();
});

it('answers VALIDATION for input nested deeper than its recursive schema can walk, and goes on serving', async () => {
  const { client, redis, keys } = await start();
  const depth = 200_000;
  const now = Date.now();
  const raw = encodeCall({ id: 'deep', task: 'depth', input: { json: null }, reply: { mode: 'hash', client: 'deep' }, deadline: now + 10_000, attempt: 1, sentAt: now }).replace(
    '"input":{"json":null}',
    `"input":{"json":${'['.repeat(depth)}${']'.repeat(depth)}}`,
  );
  await pushRaw(redis, keys, raw);
  await expect.poll(() => redis.hget(keys.replies('deep'), 'deep'), { timeout: 10_000 }).not.toBeNull();
  const reply = JSON.parse((await redis.hget(keys.replies('deep'), 'deep')) ?? '{}') as { error: { code: string; message: string } };
  expect(reply.error.code).toBe('VALIDATION');
  expect(reply.error.message).toContain('nested too deeply');
  expect(await client.depth([[], [[]]])).toBe(1);
});
