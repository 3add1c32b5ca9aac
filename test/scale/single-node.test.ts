import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createWorker, router, task } from '../../src/index.js';
import { quietLogger } from '../support/fixtures.js';
import { randomPrefix } from '../support/redis.js';
import { RedisServer } from '../support/redis-server.js';

// The scale runner on one plain node; the topology suites (Sentinel, Cluster failover) sit beside it.
const contract = router({ echo: task({ input: z.object({ n: z.number() }), output: z.number() }) });

describe('scale runner', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => server?.stop());

  it('runs a call end to end on a private redis-server', async () => {
    const redis = { host: '127.0.0.1', port: server.port };
    const prefix = randomPrefix();
    const worker = createWorker(contract, { echo: ({ n }) => n * 2 }, { redis, prefix, logger: quietLogger });
    await worker.start();
    const client = createClient(contract, { redis, prefix });
    try {
      expect(await client.echo({ n: 21 })).toBe(42);
    } finally {
      await client.$close();
      await worker.close();
    }
  });
});
