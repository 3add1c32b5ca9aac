import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdmin, createClient, createWorker, isTaskError, router, task } from '../../src/index.js';
import { queueKeys } from '../../src/wire/keys.js';
import { quietLogger } from '../support/fixtures.js';
import { randomPrefix } from '../support/redis.js';
import { RedisCluster } from '../support/redis-cluster.js';

const contract = router({
  a: task({ input: z.object({ n: z.number() }), output: z.object({ n: z.number(), at: z.date() }), queue: 'alpha' }),
  b: task({ input: z.object({ n: z.number() }), output: z.bigint(), queue: 'beta', errors: { ODD: z.object({ n: z.number() }) } }),
  c: task({ input: z.object({ n: z.number() }), output: z.number(), queue: 'gamma', retry: { attempts: 2, backoffMs: 10 } }),
});

describe('on a 3-node Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await RedisCluster.start(3);
  }, 60_000);
  afterAll(async () => cluster?.stop());

  it('serves queues living on different shards, in both reply modes, with errors, retries and dead letters', async () => {
    const prefix = randomPrefix();
    const redis = { cluster: cluster.nodes };
    // The layout claim under test: each queue sits in one slot, and the queues spread out.
    const ports = new Set(['alpha', 'beta', 'gamma'].map((q) => cluster.portOf(queueKeys(prefix, q).wait)));
    expect(ports.size).toBeGreaterThan(1);

    let flaky = 0;
    const worker = createWorker(
      contract,
      {
        a: ({ n }) => ({ n, at: new Date(n) }),
        b: ({ n }, ctx) => {
          if (n % 2) throw ctx.error('ODD', { n });
          return BigInt(n) ** 3n;
        },
        c: ({ n }) => {
          if (n < 0) throw new Error('always fails');
          if (++flaky % 2) throw new Error('flaky');
          return n;
        },
      },
      { redis, prefix, concurrency: 8, logger: quietLogger, maintenanceIntervalMs: 100 },
    );
    await worker.start();
    const client = createClient(contract, { redis, prefix });
    const admin = createAdmin({ redis, prefix });
    try {
      const keyMode = await Promise.all(Array.from({ length: 60 }, (_, n) => client.a({ n })));
      expect(keyMode.map((r) => r.at.getTime())).toEqual(Array.from({ length: 60 }, (_, n) => n));
      expect(await client.b({ n: 4 }, { replyMode: 'pubsub' })).toBe(64n);
      const odd = await client.b({ n: 3 }).catch((e: unknown) => e);
      expect(isTaskError(odd, contract.b, 'ODD') && odd.data.n).toBe(3);
      expect(await client.c({ n: 5 })).toBe(5);
      await client.c({ n: -1 }).catch(() => undefined);
      const [letter] = await admin.deadLetters('gamma').list();
      expect(letter?.reason).toBe('ATTEMPTS_EXHAUSTED');
      expect(await client.a({ n: 7 }, { idempotencyKey: 'x' })).toEqual(await client.a({ n: 7 }, { idempotencyKey: 'x' }));
    } finally {
      await client.$close();
      await worker.close();
      await admin.close();
    }
  }, 60_000);
  it('with shardedPubSub, publishes each pub/sub reply and completion event on its queue’s own shard only (SPUBLISH, no PUBLISH anywhere)', async () => {
    const prefix = randomPrefix();
    const redis = { cluster: cluster.nodes };
    const worker = createWorker(
      contract,
      { a: ({ n }) => ({ n, at: new Date(n) }), b: async ({ n }) => BigInt(n), c: ({ n }) => n },
      { redis, prefix, concurrency: 8, logger: quietLogger },
    );
    await worker.start();
    const client = createClient(contract, { redis, prefix, shardedPubSub: true, replyMode: 'pubsub' });
    const nodes = cluster.nodes.map((n) => new Redis(n.port, n.host));
    const stat = async (node: Redis, command: string) => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await node.info('commandstats'))?.[1] ?? 0);
    try {
      await Promise.all(nodes.map((n) => n.config('RESETSTAT')));
      const [a, b, c] = await Promise.all([client.a({ n: 1 }), client.b({ n: 2 }), client.c({ n: 3 })]);
      expect([a.n, b, c]).toEqual([1, 2n, 3]);
      const ports = ['alpha', 'beta', 'gamma'].map((q) => cluster.portOf(queueKeys(prefix, q).wait));
      const spublished = await Promise.all(nodes.map((n) => stat(n, 'spublish')));
      // One reply per call, each SPUBLISHed on the node of its queue; nothing PUBLISHed anywhere.
      expect(spublished.reduce((x, y) => x + y, 0)).toBe(3);
      cluster.nodes.forEach((n, i) => expect(spublished[i]).toBe(ports.filter((p) => p === n.port).length));
      expect(await Promise.all(nodes.map((n) => stat(n, 'publish')))).toEqual([0, 0, 0]);
      // Completion events (the watch, its acks, the events) on the queue's shard as well.
      const events = client.$events('b');
      await events.ready;
      expect(await client.b({ n: 5 })).toBe(5n);
      for await (const e of events) {
        expect(e).toMatchObject({ ok: true, output: 5n });
        break;
      }
      await events.close();
      expect(await Promise.all(nodes.map((n) => stat(n, 'publish')))).toEqual([0, 0, 0]);
    } finally {
      nodes.forEach((n) => n.disconnect());
      await client.$close();
      await worker.close();
    }
  }, 60_000);
});
