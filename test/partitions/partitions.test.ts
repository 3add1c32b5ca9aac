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
    fail: task({ input: z.object({ n: z.number() }), output: z.number(), queue: 'hot', retry: { attempts: 1 } }),
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
      observers: [{ started: (c) => void queueOf.set(c.callId, c.queue) }],
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
});
