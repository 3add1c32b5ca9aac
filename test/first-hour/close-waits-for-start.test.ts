import { afterEach, describe, expect, it } from 'vitest';
import { createAdmin, createWorker } from '../../src/index.js';
import { killAllChildren } from '../fault/support/child-process.js';
import { contract, handlers } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';
import { recordingLogger } from './support/recording-logger.js';
import { runLifecycle } from './support/run-lifecycle.js';

// Issue 13, point 3: `worker.start(); await worker.close();` crashed the process (a rejection
// of the start nobody awaited) or, with a gap of 5-20 ms, left the fetchers looping on closed
// connections ("taking calls failed; retrying … Connection is closed", forever).

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await killAllChildren();
  for (const c of cleanups.splice(0)) await c();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('close() called while start() is pending', () => {
  for (const gapMs of [0, 5, 10, 20]) {
    it(`with a ${gapMs} ms gap: the worker process exits by itself right after close(), having logged nothing after it`, async () => {
      const prefix = randomPrefix();
      cleanups.push(() => inspector(prefix).cleanup());
      const run = await runLifecycle({ kind: 'close-during-start', url: redisUrl(), prefix, gapMs }, 15_000);
      expect(run.stderr).not.toMatch(/TypeError|Unhandled|Error: Connection is closed/);
      expect(run.closedAt, run.stderr).toBeDefined();
      expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 0, signal: null });
      expect(run.logsAfterClose).toEqual([]);
      // Nothing was left scheduled: the process ended as soon as close() resolved.
      expect(run.exitedAt - (run.closedAt ?? 0)).toBeLessThan(1_500);
    }, 20_000);
  }

  it('resolves start() and close() in process, leaves no worker registered, and logs nothing afterwards', async () => {
    const prefix = randomPrefix();
    const insp = inspector(prefix);
    const admin = createAdmin({ redis: redisUrl(), prefix });
    cleanups.push(async () => {
      await admin.close();
      await insp.cleanup();
    });
    for (const gapMs of [0, 5, 10, 20]) {
      const logger = recordingLogger();
      const worker = createWorker(contract, handlers, { redis: redisUrl(), prefix, logger, maintenanceIntervalMs: 50 });
      const started = worker.start();
      await sleep(gapMs);
      await worker.close();
      await expect(started).resolves.toBeUndefined();
      const linesAtClose = logger.lines.length;
      await sleep(300);
      expect(logger.lines.slice(linesAtClose)).toEqual([]);
      expect(logger.matching('taking calls failed')).toEqual([]);
      expect((await admin.counts('default')).workers).toBe(0);
    }
  });
});

describe('close() is idempotent', () => {
  it('returns one promise to every caller, before and after it resolved', async () => {
    const prefix = randomPrefix();
    cleanups.push(() => inspector(prefix).cleanup());
    const worker = createWorker(contract, handlers, { redis: redisUrl(), prefix, logger: recordingLogger() });
    await worker.start();
    const first = worker.close();
    const second = worker.close();
    expect(second).toBe(first);
    await first;
    await expect(worker.close()).resolves.toBeUndefined();
    await expect(worker.start()).rejects.toThrow(/closed/);
  });

  it('also for a worker never started', async () => {
    const worker = createWorker(contract, handlers, { redis: redisUrl(), prefix: randomPrefix(), logger: recordingLogger() });
    await Promise.all([worker.close(), worker.close()]);
    await expect(worker.close()).resolves.toBeUndefined();
  });
});
