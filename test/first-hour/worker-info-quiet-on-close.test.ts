import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { WorkerRegistry } from '../../src/transport/worker-registry.js';
import { WorkerInfoWriter } from '../../src/worker/worker-info-writer.js';
import { redisUrl, scratchQueue } from '../support/redis.js';
import { recordingLogger } from './support/recording-logger.js';

// CI saw `worker.start(); await worker.close()` log "could not write the worker info record …
// Connection is closed": the start's first tick was still writing when close() (cutting the start
// short) closed the connection under it. A write close() cut short is no news; a refused one
// while the worker runs still is, once.

async function publishOnClosedConnection(closing: boolean) {
  const { keys } = scratchQueue();
  const conn = new Redis(redisUrl());
  await conn.quit();
  const logger = recordingLogger();
  const writer = new WorkerInfoWriter({
    id: 'w1',
    queues: [keys],
    concurrency: 1,
    tasks: new Map(),
    schemas: new Map(),
    ttlMs: 10_000,
    tallies: new Map(),
    running: () => 0,
    registry: () => new WorkerRegistry(conn),
    closing: () => closing,
    logger,
  });
  await writer.publish();
  await writer.publish();
  return logger.matching('could not write the worker info record');
}

describe('the worker info record on a connection close() closed', () => {
  it('says nothing once close() began', async () => {
    expect(await publishOnClosedConnection(true)).toEqual([]);
  });

  it('says it once while the worker runs, with the cause', async () => {
    const lines = await publishOnClosedConnection(false);
    expect(lines).toHaveLength(1);
    expect(String(lines[0]?.detail?.['error'])).toMatch(/Connection is closed/);
  });
});
