/**
 * `tsx bench/queued-memory.ts [calls]`: Redis memory per queued call (docs/SCALING.md), on a
 * private Redis with no worker: `calls` calls of the bench's 100 B input queued by one client
 * (`noWorkers: 'wait'`), then INFO used_memory against the empty server and MEMORY USAGE of each
 * key the queue holds. The calls are abandoned (the client closes) once Redis holds them all.
 */
import { Redis } from 'ioredis';
import { createClient } from '../src/index.js';
import { queueKeys } from '../src/wire/keys.js';
import { RedisServer } from '../test/support/redis-server.js';
import { BASE_PAYLOAD_BYTES } from './options.js';
import { benchContract, payload, QUEUE } from './workload.js';

const calls = Number(process.argv[2] ?? 100_000);
const server = await RedisServer.start();
const admin = new Redis(server.url);
const usedMemory = async () => Number(/^used_memory:(\d+)/m.exec(await admin.info('memory'))?.[1] ?? Number.NaN);
try {
  const prefix = 'mem';
  const k = queueKeys(prefix, QUEUE);
  const before = await usedMemory();
  const client = createClient(benchContract, { redis: server.url, prefix, noWorkers: 'wait' });
  const input = { data: payload(BASE_PAYLOAD_BYTES), spin: 0 };
  const pending: Array<Promise<unknown>> = [];
  // In slices, so the client's own batching and memory stay ordinary.
  for (let i = 0; i < calls; i += 5_000) {
    for (let j = i; j < Math.min(calls, i + 5_000); j++) pending.push(client.work(input, { timeoutMs: 600_000 }).catch(() => undefined));
    while ((await admin.llen(k.wait)) < Math.min(calls, i + 5_000)) await new Promise((r) => setTimeout(r, 10));
  }
  const queued = await usedMemory();
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const usage: Record<string, number> = {};
  for (const key of keys) {
    const kind = key.replace(/[0-9a-f]{8,}[0-9A-Za-z_-]*/g, '<id>').replace(/tw-client-[A-Za-z0-9_-]+/, '<client>');
    usage[kind] = (usage[kind] ?? 0) + Number((await admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
  }
  const envelope = (await admin.lindex(k.wait, 0)) ?? '';
  console.log(
    JSON.stringify({
      calls,
      inputBytes: BASE_PAYLOAD_BYTES,
      envelopeBytes: Buffer.byteLength(envelope),
      usedMemoryPerCall: Math.round((queued - before) / calls),
      waitListPerCall: Math.round((usage[k.wait] ?? 0) / calls),
      keys: keys.length,
      memoryUsageByKey: usage,
    }),
  );
  await client.$close();
  await Promise.all(pending);
} finally {
  admin.disconnect();
  await server.stop();
}
