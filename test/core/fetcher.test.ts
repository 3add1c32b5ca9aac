import type { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createWorker, router, task } from '../../src/index.js';
import { encodeCall } from '../../src/wire/envelope.js';
import { quietLogger } from '../support/fixtures.js';
import { monitorCommands } from '../support/monitor.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

/**
 * How src/worker/fetcher.ts orders its round trips. A one-queue worker queues its take behind
 * its park (BLPOP on the queue's marker): one take per call for a worker that waits for each call, not a take that finds the
 * call plus one that finds the queue empty. A worker with several queues must not hold slots
 * while parked. Under load, the take for the next batch goes out before the results of this one.
 */
const contract = router({
  a: task({ input: z.number(), output: z.number(), queue: 'qa' }),
  b: task({ input: z.number(), output: z.number(), queue: 'qb' }),
});

const single = router({ a: task({ input: z.number(), output: z.number(), queue: 'qa' }) });

/** The CLIENT LIST line of a worker's blocking connection of queue qa. */
async function parkedConnection(redis: Redis, workerId: string): Promise<string> {
  const lines = String(await redis.client('LIST')).split('\n');
  return lines.find((line) => line.includes(`name=tw-worker-${workerId}-qa `)) ?? '';
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

it('an idle worker takes each arriving call with one take, sent behind its park', async () => {
  const prefix = randomPrefix();
  const worker = createWorker(single, { a: (n) => n }, { redis: redisUrl(), prefix, logger: quietLogger });
  await worker.start();
  const client = createClient(single, { redis: redisUrl(), prefix });
  const insp = inspector(prefix);
  const monitor = await monitorCommands(redisUrl(), prefix);
  cleanup = async () => {
    monitor.stop();
    await client.$close();
    await worker.close();
    await insp.cleanup();
  };
  const { seen } = monitor;
  await client.a(0); // the worker has run once and parked again
  await new Promise((r) => setTimeout(r, 50));
  // Parked: BLPOP blocks on the worker's blocking connection with the take already written
  // behind it, waiting in that connection's query buffer (not sent after BLPOP answers).
  const parked = await parkedConnection(insp.redis, worker.id);
  expect(parked).toMatch(/ cmd=blpop /);
  expect(Number(/ qbuf=(\d+) /.exec(parked)?.[1])).toBeGreaterThan(0);
  seen.length = 0;
  const calls = 20;
  for (let i = 1; i <= calls; i++) expect(await client.a(i)).toBe(i);
  await new Promise((r) => setTimeout(r, 50));

  // take-11.lua: EVALSHA <sha> 12 <wait> <marker> ...; BLPOP <marker> 1
  const takes = seen.filter((c) => c.args[0]?.toLowerCase() === 'evalsha' && c.args[2] === '11' && c.args[4]?.endsWith(':marker'));
  const parks = seen.filter((c) => c.args[0]?.toLowerCase() === 'blpop');
  // One take per call (one more if a 1 s park bound ran out meanwhile); the old path made two.
  expect(takes.length).toBeGreaterThanOrEqual(calls);
  expect(takes.length).toBeLessThanOrEqual(calls + 1);
  // ... each sent on the connection that parked.
  const blockingSources = new Set(parks.map((c) => c.source));
  expect(blockingSources.size).toBe(1);
  expect(takes.every((t) => blockingSources.has(t.source))).toBe(true);
});

it('a worker with several queues keeps no slot while one queue is parked', async () => {
  const prefix = randomPrefix();
  // One slot, two queues: qa stays empty and parks; if it kept the slot, every call of qb would
  // wait for qa's park to run out (1 s).
  const worker = createWorker(contract, { a: (n) => n, b: (n) => n }, { redis: redisUrl(), prefix, concurrency: 1, logger: quietLogger });
  await worker.start();
  const client = createClient(contract, { redis: redisUrl(), prefix });
  const insp = inspector(prefix);
  cleanup = async () => {
    await client.$close();
    await worker.close();
    await insp.cleanup();
  };
  await new Promise((r) => setTimeout(r, 50));
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) expect(await client.b(i)).toBe(i);
  // Milliseconds when right; ~5 s if each call waited out a park.
  expect(performance.now() - t0).toBeLessThan(2_000);
});

it('under load, sends the take for the next batch before the results of the last one', async () => {
  const prefix = randomPrefix();
  const client = createClient(single, { redis: redisUrl(), prefix, noWorkers: 'wait' });
  const insp = inspector(prefix);
  const monitor = await monitorCommands(redisUrl(), prefix);
  const worker = createWorker(single, { a: (n) => n }, { redis: redisUrl(), prefix, concurrency: 50, logger: quietLogger });
  cleanup = async () => {
    monitor.stop();
    await client.$close();
    await worker.close();
    await insp.cleanup();
  };
  // Queued before the worker starts, so its takes come back full.
  const calls = Array.from({ length: 200 }, (_, i) => client.a(i));
  while ((await insp.redis.llen(`${prefix}:{qa}:wait`)) < 200) await new Promise((r) => setTimeout(r, 5));
  await worker.start();
  expect(await Promise.all(calls)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  await new Promise((r) => setTimeout(r, 50));

  // take-11.lua has 12 keys, the marker second; complete-4.lua 5. Both go on the worker's
  // command connection (as EVAL the first time on a connection, EVALSHA after).
  const isTake = (c: { args: string[] }) => c.args[2] === '11' && c.args[4]?.endsWith(':marker') === true;
  const scripts = monitor.seen.filter((c) => /^eval(sha)?$/i.test(c.args[0] ?? '') && (isTake(c) || (c.args[2] === '4' && c.args[3]?.endsWith(':batches') === true)));
  const kinds = scripts.filter((c) => c.source === scripts[0]?.source).map((c) => (isTake(c) ? 'take' : 'complete'));
  // take (the first is at most 16, see take-budget.ts), take, complete (of the first), take,
  // complete, ... — not take, complete, take, complete, ...
  expect(kinds.slice(0, 3)).toEqual(['take', 'take', 'complete']);
});

it('keeps serving when the Redis options carry a commandTimeout shorter than a park', async () => {
  const prefix = randomPrefix();
  const { hostname, port } = new URL(redisUrl());
  // ioredis counts a commandTimeout from the write: the take behind a park would time out.
  const redis = { host: hostname, port: Number(port), commandTimeout: 300 };
  const worker = createWorker(single, { a: (n) => n }, { redis, prefix, logger: quietLogger });
  await worker.start();
  const client = createClient(single, { redis, prefix });
  const insp = inspector(prefix);
  cleanup = async () => {
    await client.$close();
    await worker.close();
    await insp.cleanup();
  };
  for (let i = 0; i < 3; i++) {
    // Each call finds the worker parked for longer than the commandTimeout.
    await new Promise((r) => setTimeout(r, 400));
    expect(await client.a(i, { timeoutMs: 2_000 })).toBe(i);
  }
});

it('runs what its parked take leased even when the park in front of it failed', async () => {
  const prefix = randomPrefix();
  const worker = createWorker(single, { a: (n) => n }, { redis: redisUrl(), prefix, logger: quietLogger });
  await worker.start();
  const insp = inspector(prefix);
  cleanup = async () => {
    await worker.close();
    await insp.cleanup();
  };
  let parked = '';
  for (let i = 0; i < 200 && !(/ cmd=blpop /.test(parked) && / qbuf=[1-9]/.test(parked)); i++) {
    await new Promise((r) => setTimeout(r, 10));
    parked = await parkedConnection(insp.redis, worker.id);
  }
  const clientId = /(?:^| )id=(\d+) /.exec(parked)?.[1] as string;
  const raw = encodeCall({ id: 'abcdefghijklmnop.1', task: 'a', input: { json: 7 }, deadline: Date.now() + 10_000, attempt: 1, sentAt: Date.now() });
  // BLPOP ends with an error; the call lands after it, so the take queued behind leases it.
  await insp.redis.multi().client('UNBLOCK', clientId, 'ERROR').rpush(`${prefix}:{qa}:wait`, raw).exec();
  const until = Date.now() + 3_000;
  while (worker.stats.succeeded < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  // Dropped with the park's error, it would sit leased until its lease (30 s) ran out.
  expect(worker.stats.succeeded).toBe(1);
});
