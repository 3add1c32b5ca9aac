import { afterEach, describe, expect, it } from 'vitest';
import { createClient, isTaskwireError } from '../../src/index.js';
import { contract } from '../support/fixtures.js';
import { randomPrefix } from '../support/redis.js';
import { freePort, RedisServer } from '../support/redis-server.js';
import { recordingLogger } from './support/recording-logger.js';

// Issue 13, point 2: a client against a Redis that is down said nothing until each call's
// deadline, and then only `CONNECTION: Redis unreachable`, without where or why.
//
// Calls still wait for Redis up to their deadlines (a restart of Redis is survived), but the
// first failure is logged at once, and the CONNECTION error names the address and the cause.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a call that cannot reach Redis', () => {
  it('fails with CONNECTION by its deadline, naming the address and ECONNREFUSED; the client logs the failure once, at once', async () => {
    const port = await freePort();
    const logger = recordingLogger();
    const client = createClient(contract, { redis: `redis://:hunter2@127.0.0.1:${port}`, prefix: randomPrefix(), logger });
    cleanups.push(() => client.$close());
    const started = Date.now();
    const calls = [client.math.add({ a: 1, b: 1 }, { timeoutMs: 1_000 }), client.math.add({ a: 2, b: 2 }, { timeoutMs: 1_000, replyMode: 'pubsub' })];
    const outcomes = Promise.all(calls.map((c) => c.catch((e: unknown) => e)));
    // Said at once, not at the deadline.
    await expect.poll(() => logger.matching('cannot reach Redis').length, { timeout: 500, interval: 20 }).toBe(1);
    const errors = await outcomes;
    expect(Date.now() - started).toBeLessThan(2_000);
    for (const err of errors) {
      expect(isTaskwireError(err) && err.code, String(err)).toBe('CONNECTION');
      const message = (err as Error).message;
      expect(message).toMatch(new RegExp(`^Redis unreachable: math\\.add could not be sent before its deadline \\(Redis at 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));
      expect(message).not.toContain('hunter2');
      expect((err as { data: unknown }).data).toMatchObject({ task: 'math.add', redis: `127.0.0.1:${port}`, causeCode: 'ECONNREFUSED' });
    }
    const failures = logger.matching('cannot reach Redis');
    expect(failures).toHaveLength(1);
    expect(failures[0]?.message).toContain(`Redis at 127.0.0.1:${port}: connect ECONNREFUSED`);
    expect(JSON.stringify(logger.lines)).not.toContain('hunter2');
  });

  it('fails at once, not at its deadline, when Redis refuses the password, naming WRONGPASS and the address', async () => {
    const server = await RedisServer.start({ config: { requirepass: 'first-hour-secret' } });
    cleanups.push(() => server.stop());
    const client = createClient(contract, { redis: `redis://:not-the-password@127.0.0.1:${server.port}`, prefix: randomPrefix(), logger: recordingLogger() });
    cleanups.push(() => client.$close());
    const started = Date.now();
    const err = await client.math.add({ a: 1, b: 1 }, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(isTaskwireError(err) && err.code, String(err)).toBe('CONNECTION');
    expect((err as Error).message).toContain(`could not send math.add (Redis at 127.0.0.1:${server.port}: WRONGPASS`);
    expect((err as Error).message).not.toContain('not-the-password');
    expect((err as { data: unknown }).data).toMatchObject({ task: 'math.add', causeCode: 'WRONGPASS' });
  });
});
