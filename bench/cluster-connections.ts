/**
 * `tsx bench/cluster-connections.ts`: how many connections one worker serving six queues and one
 * client calling them hold on a 3-primary Redis Cluster (CLIENT LIST on every node, by name).
 * docs/CONNECTIONS.md quotes it.
 */
import { Redis } from 'ioredis';
import { z } from 'zod';
import { createClient, createWorker, router, task } from '../src/index.js';
import { RedisCluster } from '../test/support/redis-cluster.js';
const queues = ['q1', 'q2', 'q3', 'q4', 'q5', 'q6'];
const contract = router(Object.fromEntries(queues.map((q) => [q, task({ input: z.object({}), output: z.null(), queue: q })])) as Record<string, ReturnType<typeof task>>);
const cluster = await RedisCluster.start(3);
try {
  const redis = { cluster: cluster.nodes };
  const handlers = Object.fromEntries(queues.map((q) => [q, () => null]));
  const worker = createWorker(contract, handlers as never, { redis, prefix: 'cc', logger: { warn: () => undefined, error: () => undefined } });
  await worker.start();
  const client = createClient(contract, { redis, prefix: 'cc' });
  for (const q of queues) await (client as unknown as Record<string, (i: object) => Promise<unknown>>)[q]!({});
  await (client as unknown as Record<string, (i: object, o: object) => Promise<unknown>>)['q1']!({}, { replyMode: 'pubsub' });
  const counts: Record<string, Record<string, number>> = {};
  for (const n of cluster.nodes) {
    const r = new Redis(n.port, n.host);
    const list = String(await r.client('LIST'));
    r.disconnect();
    for (const line of list.split('\n')) {
      const name = /name=(\S*)/.exec(line)?.[1] ?? '';
      const who = name.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/, 'W').replace(/tw-client-[A-Za-z0-9_-]{16}/, 'tw-client-C') || '(unnamed)';
      counts[`${n.port}`] ??= {};
      counts[`${n.port}`]![who] = (counts[`${n.port}`]![who] ?? 0) + 1;
    }
  }
  console.log(JSON.stringify(counts));
  await client.$close();
  await worker.close();
} finally {
  await cluster.stop();
}
