import { afterEach, describe, expect, it } from 'vitest';
import { createClient, createWorker, isTaskwireError, type Worker } from '../../src/index.js';
import { killAllChildren } from '../fault/support/child-process.js';
import { contract, handlers } from '../support/fixtures.js';
import { randomPrefix } from '../support/redis.js';
import { freePort, RedisServer } from '../support/redis-server.js';
import { recordingLogger } from './support/recording-logger.js';
import { runLifecycle } from './support/run-lifecycle.js';

// Issue 13, point 2: `await worker.start()` against a closed port hung for 20 s and more, with
// no log and no rejection. Now it rejects with CONNECTION within `connectTimeoutMs`, naming the
// address and the cause, and the first failure is logged at once.

const PASSWORD = 'first-hour-secret';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await killAllChildren();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Settles with the start's outcome, or with 'still pending' after `ms` (the old code's hang). */
async function startOutcome(worker: Worker, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((resolve) => (timer = setTimeout(() => resolve('still pending'), ms)));
  const outcome = await Promise.race([worker.start().then(() => 'started', (err: unknown) => err), late]);
  clearTimeout(timer);
  return outcome;
}

describe('worker.start() when Redis cannot be reached', () => {
  it('rejects with CONNECTION within connectTimeoutMs, naming the address and ECONNREFUSED, and logs the failure once', async () => {
    const port = await freePort();
    const logger = recordingLogger();
    // The password is in the URL, and must be in no message.
    const worker = createWorker(contract, handlers, { redis: `redis://:hunter2@127.0.0.1:${port}`, prefix: randomPrefix(), logger, connectTimeoutMs: 1_500 });
    cleanups.push(() => worker.close());
    const started = Date.now();
    const err = await startOutcome(worker, 5_000);
    const tookMs = Date.now() - started;
    expect(isTaskwireError(err) && err.code, String(err)).toBe('CONNECTION');
    const message = (err as Error).message;
    expect(message).toContain(`127.0.0.1:${port}`);
    expect(message).toContain('ECONNREFUSED');
    expect(message).toContain('within 1500 ms');
    expect(message).not.toContain('hunter2');
    expect((err as { data: unknown }).data).toMatchObject({ redis: `127.0.0.1:${port}`, causeCode: 'ECONNREFUSED' });
    expect(tookMs).toBeGreaterThanOrEqual(1_400);
    expect(tookMs).toBeLessThan(2_500);
    // Several connections, several reconnect attempts each: one line.
    const failures = logger.matching('cannot reach Redis');
    expect(failures).toHaveLength(1);
    expect(failures[0]?.level).toBe('error');
    expect(failures[0]?.message).toContain(`127.0.0.1:${port}: connect ECONNREFUSED`);
    expect(JSON.stringify(logger.lines)).not.toContain('hunter2');
  });

  it('names an unknown host and ENOTFOUND', async () => {
    const worker = createWorker(contract, handlers, { redis: 'redis://no-such-host.invalid:6379', prefix: randomPrefix(), logger: recordingLogger(), connectTimeoutMs: 1_000 });
    cleanups.push(() => worker.close());
    const err = await startOutcome(worker, 5_000);
    expect(isTaskwireError(err) && err.code, String(err)).toBe('CONNECTION');
    expect((err as Error).message).toMatch(/no-such-host\.invalid:6379: .*ENOTFOUND/);
  });

  it('rejects at once when Redis refuses the password, naming WRONGPASS and not the password', async () => {
    const server = await RedisServer.start({ config: { requirepass: PASSWORD } });
    cleanups.push(() => server.stop());
    const logger = recordingLogger();
    const worker = createWorker(contract, handlers, { redis: `redis://:not-the-password@127.0.0.1:${server.port}`, prefix: randomPrefix(), logger });
    cleanups.push(() => worker.close());
    const started = Date.now();
    const err = await startOutcome(worker, 5_000);
    expect(isTaskwireError(err) && err.code, String(err)).toBe('CONNECTION');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((err as Error).message).toContain(`127.0.0.1:${server.port}`);
    expect((err as Error).message).toContain('WRONGPASS');
    expect((err as Error).message).not.toContain('not-the-password');
    expect(logger.matching('cannot reach Redis')).toHaveLength(1);
  });

  it('can be started again once Redis is there, after a failed start', async () => {
    const port = await freePort();
    const prefix = randomPrefix();
    const worker = createWorker(contract, handlers, { redis: `redis://127.0.0.1:${port}`, prefix, logger: recordingLogger(), connectTimeoutMs: 500 });
    cleanups.push(() => worker.close());
    expect(isTaskwireError(await startOutcome(worker, 3_000))).toBe(true);
    const server = await RedisServer.start({ port });
    cleanups.push(() => server.stop());
    expect(await startOutcome(worker, 5_000)).toBe('started');
    const client = createClient(contract, { redis: server.url, prefix });
    cleanups.push(() => client.$close());
    expect(await client.math.add({ a: 1, b: 2 })).toBe(3);
  });

  it('leaves nothing running: the worker process exits by itself after the failed start and close()', async () => {
    const port = await freePort();
    const run = await runLifecycle({ kind: 'failed-start', url: `redis://127.0.0.1:${port}`, prefix: randomPrefix(), connectTimeoutMs: 500 }, 15_000);
    expect(run.stderr).toMatch(/start rejected worker could not start within 500 ms \(Redis at 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 0, signal: null });
    expect(run.logsAfterClose).toEqual([]);
    expect(run.exitedAt - (run.closedAt ?? 0)).toBeLessThan(1_500);
  }, 20_000);
});
