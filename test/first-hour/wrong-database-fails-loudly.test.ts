import { Redis as Redis6 } from 'ioredis6';
import { afterEach, expect, it } from 'vitest';
import { createClient, createWorker, isTaskwireError } from '../../src/index.js';
import { runTaskwire } from '../support/cli-process.js';
import { contract, handlers, quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

// A database the server does not have (`/99` of 16): ioredis reports the failed SELECT on
// 'error' and then serves on database 0, so a worker served database 0's calls and a client's
// call was answered from there, without an error to anyone. Now it fails like a wrong password.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function inDatabase(db: number): string {
  const url = new URL(redisUrl());
  url.pathname = `/${db}`;
  return url.toString();
}

it('a worker does not start on a database the server lacks: CONNECTION at once, naming Redis\' answer, and nothing written to database 0', async () => {
  const prefix = randomPrefix();
  const insp = inspector(prefix);
  cleanups.push(() => insp.cleanup());
  const worker = createWorker(contract, handlers, { redis: inDatabase(99), prefix, logger: quietLogger });
  const started = Date.now();
  const err = await worker.start().catch((e: unknown) => e);
  await worker.close();
  expect(isTaskwireError(err) && err.code).toBe('CONNECTION');
  expect(isTaskwireError(err) && err.message).toMatch(/DB index is out of range/);
  expect(Date.now() - started).toBeLessThan(3_000);
  expect(await insp.redis.keys(`${prefix}:*`)).toEqual([]);
});

it('a client on a database the server lacks gets CONNECTION, never an answer from a worker on database 0 (URL, and an app\'s ioredis 6 connection)', async () => {
  const prefix = randomPrefix();
  const insp = inspector(prefix);
  let ran = 0;
  const worker = createWorker(contract, { ...handlers, math: { ...handlers.math, add: ({ a, b }) => (ran++, a + b) } }, { redis: redisUrl(), prefix, logger: quietLogger });
  await worker.start();
  const app = new Redis6(inDatabase(99), { lazyConnect: true });
  app.on('error', () => undefined);
  cleanups.push(async () => {
    await worker.close();
    app.disconnect();
    await insp.cleanup();
  });
  for (const redis of [inDatabase(99), app]) {
    const client = createClient(contract, { redis, prefix, logger: quietLogger });
    try {
      const err = await client.math.add({ a: 1, b: 2 }, { timeoutMs: 3_000 }).catch((e: unknown) => e);
      expect(isTaskwireError(err) && err.code).toBe('CONNECTION');
      expect(isTaskwireError(err) && err.message).toMatch(/DB index is out of range/);
    } finally {
      await client.$close();
    }
  }
  expect(ran).toBe(0);
});

it('the CLI says so in one line and exits 1', async () => {
  const r = await runTaskwire(['inspect', '--redis', inDatabase(99), '--prefix', randomPrefix()]);
  expect(r.stderr.trim()).toMatch(/^taskwire inspect: Redis at [^ ]+ has no database 99 \(ERR DB index is out of range\)/);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.status).toBe(1);
});
