import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdmin, createClient, createWorker, router, task } from '../../src/index.js';
import { partitionIndex } from '../../src/contract/partitions.js';
import { queueKeys } from '../../src/wire/keys.js';
import { quietLogger } from '../support/fixtures.js';
import { randomPrefix } from '../support/redis.js';
import { RedisCluster } from '../support/redis-cluster.js';

// `images#0..2` hash to slots 10296, 14361 and 2170: one on each master of a 3-master cluster
// (docs/PARTITIONS.md, *Slots*). `plain` is the same task on one queue, for the figures.
const contract = router({
  resize: task({ input: z.object({ n: z.number(), key: z.string().optional() }), output: z.number(), queue: 'images', partitions: 3 }),
  plain: task({ input: z.object({ n: z.number(), key: z.string().optional() }), output: z.number(), queue: 'plain' }),
});

describe('a partitioned queue on a 3-master Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await RedisCluster.start(3);
  }, 60_000);
  afterAll(async () => cluster?.stop());

  it('puts its calls on all three primaries (per-node key counts), completes them all, keeps per-key order, and the admin sums them', async () => {
    const prefix = randomPrefix();
    const redis = { cluster: cluster.nodes };
    const ports = [0, 1, 2].map((i) => cluster.portOf(queueKeys(prefix, 'images', i).wait));
    expect(new Set(ports).size).toBe(3);

    const order = new Map<string, number[]>();
    const worker = createWorker(
      contract,
      {
        resize: ({ n, key }) => {
          if (key !== undefined) order.set(key, [...(order.get(key) ?? []), n]);
          return n;
        },
        plain: ({ n }) => n,
      },
      { redis, prefix, concurrency: 1, logger: quietLogger },
    );
    await worker.start();
    const client = createClient(contract, { redis, prefix, replyMode: 'pubsub' });
    const admin = createAdmin({ redis, prefix });
    // Per node: how many keys of the queue each primary holds while 300 calls wait.
    const nodes = cluster.servers.map((s) => new Redis(s.port));
    try {
      await worker.close();
      const pending = Array.from({ length: 300 }, (_, n) => client.resize({ n }, { noWorkers: 'wait', timeoutMs: 60_000 }));
      await expect.poll(async () => (await admin.counts('images')).waiting, { timeout: 10_000 }).toBe(300);
      const perNode = await Promise.all(nodes.map(async (r) => (await r.keys(`${prefix}:{images#*}:wait`)).length));
      const waitingPerNode = await Promise.all(nodes.map(async (r, i) => {
        const k = queueKeys(prefix, 'images', ports.indexOf(cluster.servers[i]?.port ?? -1));
        return ports.includes(cluster.servers[i]?.port ?? -1) ? r.llen(k.wait) : 0;
      }));
      expect(perNode).toEqual([1, 1, 1]);
      expect(waitingPerNode).toEqual([100, 100, 100]);

      const again = createWorker(contract, { resize: ({ n, key }) => {
        if (key !== undefined) order.set(key, [...(order.get(key) ?? []), n]);
        return n;
      }, plain: ({ n }) => n }, { redis, prefix, concurrency: 16, logger: quietLogger });
      await again.start();
      try {
        expect((await Promise.all(pending)).length).toBe(300);
        const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
        await Promise.all(Array.from({ length: 120 }, (_, n) => client.resize({ n, key: keys[n % 6] }, { partitionKey: keys[n % 6] })));
        // Keys on more than one partition, each key's calls in the order sent.
        expect(new Set(keys.map((k) => partitionIndex(k, 3))).size).toBeGreaterThan(1);
        for (const k of keys) expect(order.get(k)).toEqual([...(order.get(k) ?? [])].sort((x, y) => x - y));
        const overview = await admin.overview();
        expect(overview.queues.map((q) => q.name).sort()).toEqual(['images', 'plain']);
        const images = overview.queues.find((q) => q.name === 'images');
        expect(images?.partitions?.map((p) => p.name)).toEqual(['images#0', 'images#1', 'images#2']);
        expect(images?.workers).toBe(1);

        // Figures for docs/PARTITIONS.md: one queue vs 3 partitions, same worker, same client, 2 cores.
        const rate = async (call: (n: number) => Promise<unknown>) => {
          const n = 4000;
          const t0 = performance.now();
          let next = 0;
          await Promise.all(Array.from({ length: 500 }, async () => {
            while (next < n) await call(next++);
          }));
          return Math.round(n / ((performance.now() - t0) / 1000));
        };
        const figures: Record<string, number[]> = { plain: [], partitioned: [] };
        for (let rep = 0; rep < 3; rep++) {
          figures.plain?.push(await rate((n) => client.plain({ n })));
          figures.partitioned?.push(await rate((n) => client.resize({ n })));
        }
        console.log(`calls/s at 500 in flight on a 3-master cluster: one queue ${JSON.stringify(figures.plain)}, 3 partitions ${JSON.stringify(figures.partitioned)}`);
      } finally {
        await again.close();
      }
    } finally {
      nodes.forEach((r) => r.disconnect());
      await Promise.allSettled([client.$close(), admin.close(), worker.close()]);
    }
  }, 180_000);
});
