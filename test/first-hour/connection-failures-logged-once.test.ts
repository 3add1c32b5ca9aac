import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createClient, createWorker, type Client, type Worker } from '../../src/index.js';
import { contract, handlers } from '../support/fixtures.js';
import { randomPrefix } from '../support/redis.js';
import { RedisServer } from '../support/redis-server.js';
import { recordingLogger } from './support/recording-logger.js';

// Issue 13, point 2: taskwire swallowed every connection error. Now the first failure is logged
// once (address and cause), repeats are not while it lasts, and a line says when Redis is back.

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => server?.stop());

let worker: Worker | undefined;
let client: Client<typeof contract> | undefined;
afterEach(async () => {
  await client?.$close();
  await worker?.close({ drainTimeoutMs: 500 });
  worker = client = undefined;
});

it('a worker and a client each log a Redis outage once, with the address and the cause, and once that it is over', async () => {
  const prefix = randomPrefix();
  const workerLog = recordingLogger();
  const clientLog = recordingLogger();
  worker = createWorker(contract, handlers, { redis: server.url, prefix, logger: workerLog });
  await worker.start();
  client = createClient(contract, { redis: server.url, prefix, logger: clientLog });
  expect(await client.math.add({ a: 1, b: 1 })).toBe(2);

  await server.kill();
  // Long enough for several reconnect attempts on every connection (their delays grow from 100 ms).
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  await server.restart();
  await expect.poll(() => workerLog.matching('again').length, { timeout: 10_000 }).toBe(1);
  await expect.poll(() => clientLog.matching('again').length, { timeout: 10_000 }).toBe(1);
  expect(await client.math.add({ a: 2, b: 2 }, { timeoutMs: 10_000 })).toBe(4);

  for (const [who, log] of [['worker', workerLog], ['client', clientLog]] as const) {
    // Nothing else either: no line per reconnect attempt, per connection or per failed take.
    expect(log.lines.map((l) => l.level), `${who}: ${JSON.stringify(log.lines)}`).toEqual(['error', 'warn']);
    const down = log.matching('cannot reach Redis');
    expect(down, `${who}: ${JSON.stringify(log.lines)}`).toHaveLength(1);
    expect(down[0]?.message).toMatch(new RegExp(`^taskwire: ${who} \\S+ cannot reach Redis at 127\\.0\\.0\\.1:${server.port}: `));
    expect(down[0]?.detail).toMatchObject({ redis: `127.0.0.1:${server.port}` });
    expect(log.matching('again')[0]?.message).toMatch(new RegExp(`^taskwire: ${who} \\S+ reached Redis at 127\\.0\\.0\\.1:${server.port} again$`));
  }
}, 30_000);
