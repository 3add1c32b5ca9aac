import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdmin, createClient, createSchedules, createWorker, isTaskwireError, router, task } from '../../src/index.js';
import { queueKeys } from '../../src/wire/keys.js';
import { quietLogger } from '../support/fixtures.js';
import { REPO_ROOT } from '../support/packed-package.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

/**
 * The caller, worker and operator users of docs/SECURITY.md, exactly as written there (prefix
 * and password replaced): each runs everything its role needs, and a user scoped to another
 * prefix fails at once with one clear error.
 */

function documented(role: string): string[] {
  const doc = readFileSync(join(REPO_ROOT, 'docs/SECURITY.md'), 'utf8');
  const line = doc.split('\n').map((l) => l.trim()).find((l) => l.startsWith(`ACL SETUSER tw-${role} `));
  if (!line) throw new Error(`docs/SECURITY.md has no line starting "ACL SETUSER tw-${role} "`);
  return line.split(/\s+/).slice(3);
}

const contract = router({
  work: router({
    double: task({ input: z.object({ n: z.number() }), output: z.number(), progress: z.number(), queue: 'jobs', retry: { attempts: 2, backoffMs: 10 } }),
    fail: task({ input: z.object({}), output: z.null(), queue: 'jobs' }),
  }),
  notify: task({ input: z.number(), output: z.string(), queue: 'mail' }),
});

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** Creates the documented user for `role` on `prefix` (or `scope`, another prefix) and answers its URL. */
async function user(admin: Redis, role: string, scope: string): Promise<string> {
  const name = `tw-${role}-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const rule = documented(role).map((r) => (r === '>CHANGE-ME' ? `>${password}` : r.replace(/^([~&])tw:/, `$1${scope}:`)));
  expect(await admin.call('ACL', 'SETUSER', name, ...rule)).toBe('OK');
  cleanups.push(async () => void (await admin.call('ACL', 'DELUSER', name)));
  const url = new URL(redisUrl());
  url.username = name;
  url.password = password;
  return url.href;
}

it('runs calls, retries, progress, detached calls, follow-ups, cancels, events, schedules and dead letters as the documented users', async () => {
  const prefix = randomPrefix();
  const insp = inspector(prefix);
  cleanups.push(() => insp.cleanup());
  const [callerUrl, workerUrl, operatorUrl] = [await user(insp.redis, 'caller', prefix), await user(insp.redis, 'worker', prefix), await user(insp.redis, 'operator', prefix)];
  const warnings: string[] = [];
  let flaky = 0;
  const worker = createWorker(
    contract,
    {
      work: {
        double: ({ n }, ctx) => {
          if (n === 7 && flaky++ === 0) throw new Error('once');
          ctx.progress(n);
          return n * 2;
        },
        fail: () => {
          throw new Error('always');
        },
      },
      notify: (n) => `sent ${n}`,
    },
    { redis: workerUrl, prefix, logger: { warn: (m) => void warnings.push(m), error: (m) => void warnings.push(m) } },
  );
  await worker.start();
  cleanups.push(() => worker.close());
  const client = createClient(contract, { redis: callerUrl, prefix, logger: quietLogger });
  cleanups.push(() => client.$close());

  const progress: number[] = [];
  expect(await client.work.double({ n: 7 }, { onProgress: (p) => void progress.push(p) })).toBe(14);
  expect(await client.work.double({ n: 2 }, { replyMode: 'pubsub', priority: 3 })).toBe(4);
  expect(await client.work.double({ n: 3 }, { group: 'tenant-a', delayMs: 5 })).toBe(6);
  expect(await client.work.double({ n: 4 }, { idempotencyKey: 'k-4' })).toBe(8);
  // Sharded pub/sub: replies and progress on the queue's own channel (`&tw:{*}:reply:*`).
  const sharded = createClient(contract, { redis: callerUrl, prefix, logger: quietLogger, shardedPubSub: true });
  cleanups.push(() => sharded.$close());
  const shardedProgress: number[] = [];
  expect(await sharded.work.double({ n: 2 }, { replyMode: 'pubsub', onProgress: (p) => void shardedProgress.push(p) })).toBe(4);
  expect(shardedProgress).toEqual([2]);
  const shardedEvents = sharded.$events('work.double');
  await shardedEvents.ready;
  await sharded.work.double({ n: 10 });
  for await (const e of shardedEvents) {
    expect(e).toMatchObject({ ok: true, output: 20 });
    break;
  }
  const big = await client.work.double({ n: 5, pad: 'x'.repeat(20_000) } as { n: number });
  expect(big).toBe(10);
  const sent = await client.work.double.send({ n: 6 }, { then: 'notify' });
  expect(await sent.result()).toBe(12);
  expect(await client.notify.result(sent.followUps.then ?? '')).toBe('sent 12');
  const queued = await client.work.double.send({ n: 8 }, { delayMs: 60_000 });
  await queued.cancel();
  expect(await queued.result().catch((e: unknown) => isTaskwireError(e) && e.code)).toBe('CANCELLED');
  const events = client.$events('work.double');
  await events.ready;
  await client.work.double({ n: 9 });
  for await (const e of events) {
    expect(e).toMatchObject({ ok: true, output: 18 });
    break;
  }
  expect(await client.work.fail({}).catch((e: unknown) => isTaskwireError(e) && e.code)).toBe('INTERNAL');

  // The operator: counts, schedules, dead letters.
  const admin = createAdmin({ redis: operatorUrl, prefix });
  cleanups.push(() => admin.close());
  expect((await admin.counts('jobs')).workers).toBe(1);
  const schedules = createSchedules(contract, { redis: operatorUrl, prefix });
  cleanups.push(() => schedules.close());
  await schedules.upsert('notify', { id: 'every-minute', input: 1, everyMs: 60_000 });
  expect((await schedules.list()).map((s) => s.id)).toEqual(['every-minute']);
  expect(await schedules.remove('every-minute')).toBe(true);
  const keys = queueKeys(prefix, 'jobs');
  await insp.redis.xadd(keys.dead, '*', 'reason', 'ATTEMPTS_EXHAUSTED', 'id', 'x.1', 'envelope', '{"v":1,"id":"x.1","task":"work.double","input":{"json":{"n":1}},"deadline":1,"attempt":2,"sentAt":1}', 'at', '1');
  const letters = admin.deadLetters('jobs');
  const [letter] = await letters.list();
  expect(await letters.purge(letter?.id ?? '')).toBe(true);
  // What the caller may not touch: dead letters, the bodies of running calls, leases.
  const asCaller = new Redis(callerUrl);
  cleanups.push(async () => void asCaller.disconnect());
  for (const denied of [asCaller.xrange(keys.dead, '-', '+'), asCaller.hgetall(keys.bodies), asCaller.zadd(keys.active, 0, 'x')]) {
    expect(String(await denied.catch((e: unknown) => e))).toMatch(/NOPERM/);
  }
  // The two handler failures, and nothing refused (no NOPERM, no "events are off").
  expect(warnings).toEqual(['taskwire: work.double failed', 'taskwire: work.fail failed']);
}, 30_000);

it('fails at once, naming the refusal, for users scoped to another prefix', async () => {
  const prefix = randomPrefix();
  const insp = inspector(prefix);
  cleanups.push(() => insp.cleanup());
  const [callerUrl, workerUrl] = [await user(insp.redis, 'caller', 'other'), await user(insp.redis, 'worker', 'other')];
  const worker = createWorker(contract, { work: { double: ({ n }) => n, fail: () => null }, notify: (n) => String(n) }, { redis: workerUrl, prefix, logger: quietLogger });
  const start = await worker.start().catch((e: unknown) => e);
  expect(isTaskwireError(start) && start.code).toBe('CONNECTION');
  expect(String((start as Error).message)).toMatch(/NOPERM/);
  await worker.close();
  const client = createClient(contract, { redis: callerUrl, prefix, logger: quietLogger, noWorkers: 'wait' });
  cleanups.push(() => client.$close());
  const t0 = Date.now();
  const call = await client.work.double({ n: 1 }, { timeoutMs: 10_000 }).catch((e: unknown) => e);
  expect(isTaskwireError(call) && call.code).toBe('CONNECTION');
  expect(String((call as Error).message)).toMatch(/NOPERM/);
  // Refused, not retried until the deadline.
  expect(Date.now() - t0).toBeLessThan(2_000);
});
