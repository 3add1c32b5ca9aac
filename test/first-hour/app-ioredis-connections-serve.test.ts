import { Cluster as Cluster5, Redis as Redis5 } from 'ioredis';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis6';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, createClient, createWorker, type Client, type RedisSource, type Worker } from '../../src/index.js';
import { contract, handlers } from '../support/fixtures.js';
import { randomPrefix } from '../support/redis.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { RedisServer } from '../support/redis-server.js';
import { recordingLogger } from './support/recording-logger.js';

// Issue 13, point 1: an app's ioredis connection was recognised by `instanceof` taskwire's own
// ioredis 5.11.1; one made by the app's ioredis 6 (npm's newest) fell through to
// `new Redis({ ...source })`, connected somewhere else, and `worker.start()` never returned.
// Tested with ioredis 5.11.1 (taskwire's own) and 6.1.0 (the `ioredis6` dev dependency).

const PASSWORD = 'first-hour-secret';

/** Fails the test instead of hanging it: the old code's start() never returned. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The CLIENT LIST lines of taskwire's connections of one worker or client. */
async function ownConnections(inspect: { client(sub: 'LIST'): Promise<unknown> }, namePart: string): Promise<string[]> {
  return String(await inspect.client('LIST'))
    .split('\n')
    .filter((line) => line.includes(` name=${namePart}`));
}

let worker: Worker | undefined;
let client: Client<typeof contract> | undefined;
const apps: Array<{ disconnect(): void }> = [];
afterEach(async () => {
  await client?.$close();
  await worker?.close();
  for (const app of apps.splice(0)) app.disconnect();
  worker = client = undefined;
});

/** A worker and a client on the app's connection serve calls in both reply modes. */
async function serveOn(redis: RedisSource, prefix: string): Promise<void> {
  const logger = recordingLogger();
  worker = createWorker(contract, handlers, { redis, prefix, logger, connectTimeoutMs: 5_000 });
  await within(worker.start(), 8_000, 'worker.start()');
  client = createClient(contract, { redis, prefix, logger });
  expect(await within(client.math.add({ a: 1, b: 2 }), 5_000, 'a call')).toBe(3);
  expect(await within(client.math.add({ a: 2, b: 2 }, { replyMode: 'pubsub' }), 5_000, 'a pub/sub call')).toBe(4);
  const when = new Date(1_700_000_000_000);
  const echoed = await client.math.echo({ when, tags: new Set(['a']), counts: new Map([['x', 1n]]) });
  expect(echoed.when).toEqual(when);
  expect(echoed.counts.get('x')).toBe(1n);
  expect(logger.lines).toEqual([]);
}

describe("an app's Redis with a password", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start({ config: { requirepass: PASSWORD } });
  });
  afterAll(async () => server?.stop());

  it("is duplicated by the app's own ioredis 6: its twins reach the same server with its password and speak RESP2", async () => {
    // RESP3 with maps as objects: the app's choice, not one taskwire's replies are parsed for.
    const app = new Redis6({ host: '127.0.0.1', port: server.port, password: PASSWORD, protocol: 3, replyMapping: 'resp3' });
    apps.push(app);
    const prefix = randomPrefix();
    await serveOn(app, prefix);
    const workerId = worker?.id ?? '';
    const twins = await ownConnections(app, `tw-worker-${workerId}`);
    expect(twins.length).toBeGreaterThanOrEqual(3);
    for (const line of twins) expect(line).toMatch(/ resp=2\b/);
    // ...while the app's own connection speaks what it asked for.
    expect(String(await app.client('INFO'))).toMatch(/ resp=3\b/);
    // The app's own connection is left as it was: never put in subscriber mode, never closed.
    await worker?.close();
    await client?.$close();
    expect(app.status).toBe('ready');
    expect(await app.ping()).toBe('PONG');
    await app.call('FLUSHALL');
  });

  it("works the same with the app's ioredis 5 (taskwire's own)", async () => {
    const app = new Redis5({ host: '127.0.0.1', port: server.port, password: PASSWORD });
    apps.push(app);
    await serveOn(app, randomPrefix());
    expect(app.status).toBe('ready');
  });

  it("serves calls on an app's connection that has a keyPrefix of its own (taskwire namespaces by its prefix)", async () => {
    const app = new Redis6({ host: '127.0.0.1', port: server.port, password: PASSWORD, keyPrefix: 'app:' });
    apps.push(app);
    await serveOn(app, randomPrefix());
  });

  it("gives the admin a working twin of an app's ioredis 6 connection", async () => {
    const app = new Redis6({ host: '127.0.0.1', port: server.port, password: PASSWORD });
    apps.push(app);
    const admin = createAdmin({ redis: app, prefix: randomPrefix() });
    try {
      expect(await within(admin.counts('default'), 5_000, 'admin.counts()')).toMatchObject({ waiting: 0, workers: 0 });
    } finally {
      await admin.close();
    }
  });
});

describe("an app's Redis Cluster with a password", () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await RedisCluster.start(3, { password: PASSWORD });
  }, 60_000);
  afterAll(async () => cluster?.stop());

  it("is duplicated by the app's own ioredis 6, keeping the password of its redisOptions", async () => {
    const app = new Cluster6(cluster.nodes, { redisOptions: { password: PASSWORD } });
    apps.push(app);
    await serveOn(app, randomPrefix());
    expect(app.status).toBe('ready');
  }, 30_000);

  it("is duplicated with ioredis 5 too, where Cluster.duplicate() alone would drop the app's redisOptions (and with them the password)", async () => {
    const app = new Cluster5(cluster.nodes, { redisOptions: { password: PASSWORD } });
    apps.push(app);
    await serveOn(app, randomPrefix());
  }, 30_000);
});
