import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWorker, type Worker } from '../../src/index.js';
import { contract, handlers } from '../support/fixtures.js';
import { randomPrefix } from '../support/redis.js';
import { RedisServer } from '../support/redis-server.js';
import { recordingLogger } from './support/recording-logger.js';

// Issue 13, point 7: a worker started on `maxmemory-policy allkeys-lru` without a word, though
// under it Redis drops keys (queued calls, leases, results) when memory runs short.

let worker: Worker | undefined;
afterEach(async () => {
  await worker?.close();
  worker = undefined;
});

async function startedLog(url: string) {
  const logger = recordingLogger();
  worker = createWorker(contract, handlers, { redis: url, prefix: randomPrefix(), logger });
  await worker.start();
  return logger;
}

describe('on a Redis that evicts keys', () => {
  let server: RedisServer;
  // CONFIG renamed away, as managed Redis services refuse it: the policy is read from INFO.
  beforeAll(async () => {
    server = await RedisServer.start({ config: { 'maxmemory-policy': 'allkeys-lru', 'rename-command': ['CONFIG', '""'] } });
  });
  afterAll(async () => server?.stop());

  it('worker start warns once, naming the policy, what it risks and the fix', async () => {
    const logger = await startedLog(server.url);
    const warnings = logger.matching('maxmemory-policy');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.level).toBe('warn');
    expect(warnings[0]?.message).toContain(`Redis at 127.0.0.1:${server.port} has maxmemory-policy allkeys-lru`);
    expect(warnings[0]?.message).toContain('queued calls, leases and results');
    expect(warnings[0]?.message).toContain('Set maxmemory-policy noeviction');
    expect(warnings[0]?.detail).toMatchObject({ policy: 'allkeys-lru' });
    // Once per start, not per maintenance round.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(logger.matching('maxmemory-policy')).toHaveLength(1);
  });
});

describe('on a Redis that never evicts', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start({ config: { 'maxmemory-policy': 'noeviction' } });
  });
  afterAll(async () => server?.stop());

  it('worker start says nothing', async () => {
    const logger = await startedLog(server.url);
    expect(logger.lines).toEqual([]);
  });
});
