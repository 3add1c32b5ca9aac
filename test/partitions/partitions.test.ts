import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdmin, createClient, createWorker, isTaskwireError } from '../../src/index.js';
import { router, task } from '../../src/contract/index.js';
import { queueKeys } from '../../src/wire/keys.js';
import { partitionIndex } from '../../src/contract/partitions.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';
import { quietLogger } from '../support/fixtures.js';

const contract = router({
  hot: router({
    work: task({ input: z.object({ n: z.number(), key: z.string().optional() }), output: z.number(), queue: 'hot', partitions: 3 }),
    // Follows the queue's partitions without declaring them.
    fail: task({ input: z.object({ n: z.number() }), output: z.number(), queue: 'hot', retry: { attempts: 2, backoffMs: 0 } }),
    slow: task({ input: z.object({ ms: z.number() }), output: z.number(), queue: 'hot' }),
  }),
});

type Env = Awaited<ReturnType<typeof start>>;

async function start(workerOptions: { concurrency?: number } = {}) {
  const prefix = randomPrefix();
  const { redis, cleanup } = inspector(prefix);
  const seen: Array<{ n: number; key: string | undefined; queue: string }> = [];
  const queueOf = new Map<string, string>();
  const worker = createWorker(
    contract,
    {
      hot: {
        work: ({ n, key }, ctx) => {
          seen.push({ n, key, queue: queueOf.get(ctx.callId) ?? '?' });
          return n * 2;
        },
        fail: ({ n }) => {
          throw new Error(`boom ${n}`);
        },
        slow: async ({ ms }) => {
          await new Promise((r) => setTimeout(r, ms));
          return ms;
        },
      },
    },
    {
      redis: redisUrl(),
      prefix,
      concurrency: workerOptions.concurrency ?? 8,
      logger: quietLogger,
      // Which partition each call was taken from.
      // Observers name the queue as callers do, and the partition apart.
      observers: [{ started: (c) => void queueOf.set(c.callId, c.partition === undefined ? `${c.queue}?` : `${c.queue}#${c.partition}`) }],
    },
  );
  await worker.start();
  const client = createClient(contract, { redis: redisUrl(), prefix });
  const admin = createAdmin({ redis: redisUrl(), prefix });
  return {
    prefix,
    redis,
    seen,
    worker,
    client,
    admin,
    async cleanup() {
      await Promise.allSettled([client.$close(), worker.close(), admin.close()]);
      await cleanup();
    },
  };
}

describe('a partitioned queue (single node)', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  it('spreads calls round-robin over every partition, and every call completes', async () => {
    env = await start();
    const out = await Promise.all(Array.from({ length: 30 }, (_, n) => env!.client.hot.work({ n })));
    expect(out).toEqual(Array.from({ length: 30 }, (_, n) => n * 2));
    const byQueue = new Map<string, number>();
    for (const s of env.seen) byQueue.set(s.queue, (byQueue.get(s.queue) ?? 0) + 1);
    expect([...byQueue.keys()].sort()).toEqual(['hot#0', 'hot#1', 'hot#2']);
    expect([...byQueue.values()]).toEqual([10, 10, 10]);
  });

  it('keeps per-key order under partitionKey: calls with one key are taken in the order sent, on one partition', async () => {
    // One slot: a call is taken only after the one before it on its partition ended.
    env = await start({ concurrency: 1 });
    const keys = ['alice', 'bob', 'carol', 'dave', 'erin'];
    await Promise.all(Array.from({ length: 50 }, (_, n) => env!.client.hot.work({ n, key: keys[n % 5] }, { partitionKey: keys[n % 5] })));
    for (const key of keys) {
      const mine = env.seen.filter((s) => s.key === key);
      expect(mine.map((s) => s.n)).toEqual([...mine.map((s) => s.n)].sort((a, b) => a - b));
      expect(new Set(mine.map((s) => s.queue))).toEqual(new Set([`hot#${partitionIndex(key, 3)}`]));
    }
    // The five keys spread over more than one partition.
    expect(new Set(env.seen.map((s) => s.queue)).size).toBeGreaterThan(1);
  });

  it('runs an idempotent call once whichever partition round-robin is at: the key picks the partition', async () => {
    env = await start();
    const outs = await Promise.all(Array.from({ length: 9 }, () => env!.client.hot.work({ n: 7 }, { idempotencyKey: 'order-42' })));
    expect(outs).toEqual(Array.from({ length: 9 }, () => 14));
    expect(env.seen.filter((s) => s.n === 7)).toHaveLength(1);
    expect(env.seen[0]?.queue).toBe(`hot#${partitionIndex('order-42', 3)}`);
    // Interleaved with keyless calls, which keep going round.
    await Promise.all([env.client.hot.work({ n: 1 }), env.client.hot.work({ n: 7 }, { idempotencyKey: 'order-42' }), env.client.hot.work({ n: 2 })]);
    expect(env.seen.filter((s) => s.n === 7)).toHaveLength(1);
  });

  it('finds a detached call, its follow-up and its cancellation on the partition it went to', async () => {
    env = await start();
    const handles = await Promise.all(Array.from({ length: 6 }, (_, n) => env!.client.hot.work.send({ n }, { then: 'hot.work' as never })));
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual([0, 2, 4, 6, 8, 10]);
    // From another client, by id only (its key maps the partition); the follow-ups too.
    const other = createClient(contract, { redis: redisUrl(), prefix: env.prefix });
    try {
      for (const [n, h] of handles.entries()) {
        expect(await other.hot.work.result(h.id)).toBe(n * 2);
        expect((await other.hot.work.status(h.id)).state).toBe('succeeded');
      }
      // A keyed detached call goes by its key, and is still found by id.
      const keyed = await env.client.hot.work.send({ n: 21 }, { partitionKey: 'k' });
      expect(await other.hot.work.result(keyed.id)).toBe(42);
    } finally {
      await other.$close();
    }
    // A call cancelled while queued is withdrawn from its partition.
    await env.worker.close();
    const slow = await env.client.hot.slow.send({ ms: 1 }, { noWorkers: 'wait' });
    await slow.cancel();
    const err = await slow.result().catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('CANCELLED');
    for (let i = 0; i < 3; i++) expect(await env.redis.llen(queueKeys(env.prefix, 'hot', i).wait)).toBe(0);
  });

  it('shows the partitions as one queue to the admin: counts, overview, queue list', async () => {
    env = await start({ concurrency: 1 });
    const blockers = Array.from({ length: 3 }, () => env!.client.hot.slow({ ms: 300 }));
    await expect.poll(async () => (await env!.admin.counts('hot')).running).toBe(1);
    await env.client.hot.work.send({ n: 1 });
    await env.client.hot.work.send({ n: 2 });
    const counts = await env.admin.counts('hot');
    expect(counts).toMatchObject({ running: 1, waiting: 4, workers: 1, partitions: 3 });
    expect(await env.admin.queues()).toEqual(['hot']);
    const overview = await env.admin.overview();
    const hot = overview.queues.find((q) => q.name === 'hot');
    expect(overview.queues.map((q) => q.name)).toEqual(['hot']);
    expect(hot).toMatchObject({ running: 1, waiting: 4, workers: 1 });
    expect(hot?.partitions?.map((p) => p.name)).toEqual(['hot#0', 'hot#1', 'hot#2']);
    expect(hot?.partitions?.reduce((n, p) => n + p.waiting + p.running, 0)).toBe(5);
    expect(overview.workers[0]?.queues.length).toBe(1);
    await Promise.all(blockers);
  });

  it('publishes completion events and pub/sub replies of a partitioned task, plainly and with sharded pub/sub', async () => {
    env = await start();
    const sharded = createClient(contract, { redis: redisUrl(), prefix: env.prefix, shardedPubSub: true, replyMode: 'pubsub' });
    try {
      for (const client of [env.client, sharded]) {
        const events = client.$events('hot.work');
        await events.ready;
        // Round-robin: three calls land on three partitions, and each one's event is heard.
        expect(await Promise.all([1, 2, 3].map((n) => client.hot.work({ n }, { replyMode: 'pubsub' })))).toEqual([2, 4, 6]);
        const outputs: unknown[] = [];
        for await (const e of events) {
          if (e.ok) outputs.push(e.output);
          if (outputs.length === 3) break;
        }
        expect(outputs.sort()).toEqual([2, 4, 6]);
        await events.close();
      }
    } finally {
      await sharded.$close();
    }
  });

  it('lists a dead letter of a partition under the queue, with its partition, and replays it there', async () => {
    env = await start();
    const errs = await Promise.all([0, 1, 2, 3].map((n) => env!.client.hot.fail({ n }).catch((e: unknown) => e)));
    expect(errs.every((e) => isTaskwireError(e))).toBe(true);
    const letters = env.admin.deadLetters('hot');
    expect(await letters.count()).toBe(4);
    const list = await letters.list();
    expect(list).toHaveLength(4);
    expect(list.every((d) => d.queue === 'hot' && d.task === 'hot.fail')).toBe(true);
    expect(new Set(list.map((d) => d.partition))).toEqual(new Set([0, 1, 2]));
    expect(list.every((d) => d.id.endsWith(`#${d.partition}`))).toBe(true);
    // Paging over partitions sees each once.
    const first = await letters.list({ count: 2 });
    const rest = await letters.list({ after: first[1]?.id });
    expect([...first, ...rest].map((d) => d.id).sort()).toEqual(list.map((d) => d.id).sort());
    const one = list[1];
    if (!one) throw new Error('no dead letter');
    expect((await letters.get(one.id))?.callId).toBe(one.callId);
    expect(await letters.replay(one.id)).toBe(true);
    expect(await letters.replay(one.id)).toBe(false);
    // Run again (and failed again) on the partition it came from.
    await expect.poll(() => letters.count()).toBe(4);
    const again = (await letters.list()).find((d) => d.callId === one.callId && d.id !== one.id);
    expect(again?.partition).toBe(one.partition);
    expect(await letters.purge(again?.id ?? '')).toBe(true);
    expect(await letters.purgeAll()).toBe(3);
    expect((await env.admin.counts('hot')).dead).toBe(0);
  });
});

describe('declaring partitions', () => {
  const io = { input: z.object({}), output: z.number() };

  it('refuses a count outside 1..1024, a limit beside partitions, and tasks of a queue that disagree', () => {
    expect(() => task({ ...io, partitions: 0 })).toThrow(/partitions must be an integer from 1 to 1024/);
    expect(() => task({ ...io, partitions: 1025 })).toThrow(/from 1 to 1024/);
    expect(() => task({ ...io, partitions: 2.5 })).toThrow(/integer/);
    expect(() => task({ ...io, partitions: 3, concurrency: 2 })).toThrow(/cannot have a rateLimit or concurrency/);
    expect(() => task({ ...io, queue: 'q'.repeat(127), partitions: 3 })).toThrow(/over 128 characters/);
    const a = task({ ...io, queue: 'hot', partitions: 3 });
    const b = task({ ...io, queue: 'hot', partitions: 4 });
    expect(() => router({ a, inner: router({ b }) })).toThrow(/tasks of queue "hot" disagree on partitions: a says 3, inner.b says 4/);
    expect(() => router({ a, limited: task({ ...io, queue: 'hot', rateLimit: { max: 1, perMs: 10 } }) })).toThrow(/limited has a rateLimit but its queue "hot" has 3 partitions/);
    expect(task({ ...io, partitions: 1 }).partitions).toBe(1);
  });

  it('maps a key to a partition with FNV-1a of its UTF-8 bytes (the rule of the protocol)', () => {
    // FNV-1a 32 of "a" is 0xe40c292c; of "" the offset basis 0x811c9dc5.
    expect(partitionIndex('a', 1_000_000_007)).toBe(0xe40c292c % 1_000_000_007);
    expect(partitionIndex('', 1024)).toBe(0x811c9dc5 % 1024);
    // Non-ASCII keys hash their UTF-8 bytes: "é" is c3 a9.
    const fnv = [0xc3, 0xa9].reduce((h, b) => Math.imul(h ^ b, 0x01000193), 0x811c9dc5) >>> 0;
    expect(partitionIndex('é', 2 ** 32 - 1)).toBe(fnv % (2 ** 32 - 1));
  });
});
