import { afterEach, expect, it } from 'vitest';
import { createClient, createWorker, isTaskwireError, type Handlers, type Worker } from '../../src/index.js';
import { FollowUps } from '../../src/worker/follow-ups.js';
import { QueueStore } from '../../src/transport/queue-store.js';
import { encodeCall, type CallEnvelope } from '../../src/wire/envelope.js';
import { queueKeys } from '../../src/wire/keys.js';
import { superjsonSerializer } from '../../src/wire/serializer.js';
import { followUpContract } from './follow-up-contract.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

/** Follow-ups (then/catch): enqueued by the worker when a call settles (src/worker/follow-ups.ts). */

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const AT = new Date(1_700_000_000_000);

async function start() {
  const prefix = randomPrefix();
  const runs: Record<string, unknown[]> = { resize: [], index: [], notify: [], alerts: [] };
  /** While true, a resize of "handoff" waits for its ctx.signal (a worker closing hands it back). */
  const hold = { handoff: true };
  const handlers: Handlers<typeof followUpContract> = {
      images: {
        resize: async ({ url, width, fail }, ctx) => {
          runs['resize']?.push(url);
          if (fail) throw ctx.error('NOT_FOUND', { url });
          if (url === 'slow') await new Promise((r) => setTimeout(r, 800));
          if (url === 'handoff' && hold.handoff) {
            await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
          }
          return { url: `${url}@${width}`, bytes: width * 10, at: AT };
        },
        index: ({ url, bytes }) => {
          runs['index']?.push(url);
          if (url.startsWith('bad')) throw new Error(`cannot index ${url}`);
          return { indexed: `${url}:${bytes}` };
        },
      },
      notify: ({ indexed }) => {
        runs['notify']?.push(indexed);
        return `sent ${indexed}`;
      },
      alerts: {
        failed: (failure) => {
          runs['alerts']?.push(failure);
          return { seen: failure.callId };
        },
      },
      square: (n) => n * n,
  };
  const newWorker = (): Worker => createWorker(followUpContract, handlers, { redis: redisUrl(), prefix, logger: quietLogger });
  const worker = newWorker();
  await worker.start();
  const client = createClient(followUpContract, { redis: redisUrl(), prefix });
  const insp = inspector(prefix);
  cleanups.push(async () => {
    await client.$close();
    await worker.close();
    await insp.cleanup();
  });
  const extra: Worker[] = [];
  cleanups.push(async () => {
    for (const w of extra) await w.close();
  });
  const another = async () => {
    const w = newWorker();
    extra.push(w);
    await w.start();
    return w;
  };
  return { prefix, worker, client, runs, hold, another, redis: insp.redis };
}

it('runs a chain of 3 across queues, each step with the output of the one before, ids known in advance', async () => {
  const { client, runs } = await start();
  const handle = await client.images.resize.send({ url: 'cat.png', width: 4 }, { then: { task: 'images.index', then: 'notify' } });
  expect(handle.followUps).toEqual({ then: `${handle.id}.then`, catch: undefined });
  expect(await handle.result()).toEqual({ url: 'cat.png@4', bytes: 40, at: AT });
  expect(await client.images.index.result(`${handle.id}.then`)).toEqual({ indexed: 'cat.png@4:40' });
  expect(await client.notify.result(`${handle.id}.then.then`)).toBe('sent cat.png@4:40');
  expect(runs['notify']).toEqual(['cat.png@4:40']);
});

it('takes the failure branch: catch gets { callId, task, input, error } of a call that finally failed, anywhere in a chain', async () => {
  const { client, runs } = await start();
  // The first step fails with a declared error.
  const first = await client.images.resize.send({ url: 'gone.png', width: 1, fail: true }, { then: 'images.index', catch: 'alerts.failed' });
  expect(isTaskwireError(await first.result().catch((e: unknown) => e))).toBe(true);
  expect(await client.alerts.failed.result(`${first.id}.catch`)).toEqual({ seen: first.id });
  expect(runs['alerts']?.[0]).toEqual({
    callId: first.id,
    task: 'images.resize',
    input: { url: 'gone.png', width: 1, fail: true },
    error: { code: 'NOT_FOUND', message: expect.any(String), data: { url: 'gone.png' } },
  });
  // Its then never ran, and awaiting it says so instead of waiting.
  expect(await client.$status(`${first.id}.then`)).toEqual({ id: `${first.id}.then`, state: 'unknown' });
  const never = await client.images.index.result(`${first.id}.then`).catch((e: unknown) => e);
  expect(isTaskwireError(never) && [never.code, never.message]).toEqual(['UNKNOWN_CALL', `follow-up ${first.id}.then did not run: its call ${first.id} failed`]);

  // The second step fails (an undeclared error): its own catch runs, the third step does not.
  const chain = await client.images.resize.send({ url: 'bad.png', width: 2 }, { then: { task: 'images.index', then: 'notify', catch: 'alerts.failed' } });
  await chain.result();
  const failedStep = `${chain.id}.then`;
  expect(await client.alerts.failed.result(`${failedStep}.catch`)).toEqual({ seen: failedStep });
  expect(runs['alerts']?.[1]).toMatchObject({ callId: failedStep, task: 'images.index', input: { url: 'bad.png@2', bytes: 20 }, error: { code: 'INTERNAL' } });
  expect((await client.$status(`${failedStep}.then`)).state).toBe('unknown');
  expect(runs['notify']).toEqual([]);
});

it('runs follow-ups of an awaited call too, and after its caller has gone', async () => {
  const { client, runs, prefix } = await start();
  expect(await client.images.resize({ url: 'a.png', width: 3 }, { then: 'images.index' })).toMatchObject({ bytes: 30 });
  await expect.poll(() => runs['index']).toEqual(['a.png@3']);
  const handle = await client.images.resize.send({ url: 'b.png', width: 5 }, { then: 'images.index' });
  await client.$close();
  // Another process (another client) awaits the follow-up by the id the first one was told.
  const other = createClient(followUpContract, { redis: redisUrl(), prefix });
  cleanups.push(() => other.$close());
  expect(await other.images.index.result(handle.followUps.then ?? '')).toEqual({ indexed: 'b.png@5:50' });
});

it('refuses a follow-up naming no task of the contract, or not naming a task at all: VALIDATION, nothing sent', async () => {
  const { client, runs } = await start();
  const unknown = await client.images.resize({ url: 'x', width: 1 }, { then: 'images.nope' as never }).catch((e: unknown) => e);
  expect(isTaskwireError(unknown) && [unknown.code, unknown.message]).toEqual(['VALIDATION', 'images.resize: follow-up "images.nope" names no task of the contract']);
  const nested = await client.images.resize.send({ url: 'x', width: 1 }, { then: { task: 'images.index', then: 'nope' as never } }).catch((e: unknown) => e);
  expect(isTaskwireError(nested) && nested.code).toBe('VALIDATION');
  const shapeless = await client.images.resize({ url: 'x', width: 1 }, { catch: 42 as never }).catch((e: unknown) => e);
  expect(isTaskwireError(shapeless) && shapeless.message).toBe('images.resize: a follow-up is a task path or { task, then?, catch? }, got number');
  expect(runs['resize']).toEqual([]);
});

it('enqueues a follow-up once however often the settling worker tries (a worker that died before its settle)', async () => {
  const { client, runs, prefix, redis } = await start();
  const store = new QueueStore(redis);
  const follow = new FollowUps({ queues: () => store, keysOf: (q) => queueKeys(prefix, q), serializer: superjsonSerializer, logger: quietLogger, maxPayloadBytes: 1 << 20 });
  const raw = encodeCall({
    id: 'dead-worker.1',
    task: 'images.resize',
    input: superjsonSerializer.serialize({ url: 'c.png', width: 1 }),
    deadline: Date.now() + 10_000,
    attempt: 1,
    sentAt: Date.now(),
    // A timeout this short lets the enqueue's sent marker lapse: the third enqueue meets the run: key.
    then: { task: 'images.index', queue: 'search', timeout: 600, ttl: 60_000 },
  });
  const env = JSON.parse(raw) as CallEnvelope;
  const output = { url: 'c.png@1', bytes: 10, at: AT };
  expect(await follow.then(env, output)).toBe(true);
  expect(await follow.then(env, output)).toBe(true);
  expect(await client.images.index.result('dead-worker.1.then')).toEqual({ indexed: 'c.png@1:10' });
  await new Promise((r) => setTimeout(r, 700));
  expect(await redis.exists(queueKeys(prefix, 'search').enqueued('dead-worker.1.then'))).toBe(0);
  expect(await follow.then(env, output)).toBe(true);
  await new Promise((r) => setTimeout(r, 200));
  expect(runs['index']).toEqual(['c.png@1']);
});

it('waits for a follow-up no longer than asked, even while its call still runs: TIMEOUT, not "did not run"', async () => {
  const { client } = await start();
  const handle = await client.images.resize.send({ url: 'slow', width: 1 }, { then: 'images.index' });
  const early = await client.images.index.result(`${handle.id}.then`, { timeoutMs: 300 }).catch((e: unknown) => e);
  expect(isTaskwireError(early) && early.code).toBe('TIMEOUT');
  expect(await client.images.index.result(`${handle.id}.then`)).toEqual({ indexed: 'slow@1:10' });
});

it('settles a call whose handler ignored its signal and ended after the deadline as TIMEOUT everywhere: catch runs, then does not', async () => {
  // Found by a review: the caller got TIMEOUT while `then` ran on the late success, and a detached
  // call's result() and status said it succeeded. The deadline is the call's outcome for all.
  const { client, runs } = await start();
  const awaited = await client.images.resize({ url: 'slow', width: 1 }, { timeoutMs: 300, then: 'images.index', catch: 'alerts.failed' }).catch((e: unknown) => e);
  expect(isTaskwireError(awaited) && awaited.code).toBe('TIMEOUT');
  const handle = await client.images.resize.send({ url: 'slow', width: 2 }, { timeoutMs: 300, then: 'images.index', catch: 'alerts.failed' });
  const late = await handle.result({ timeoutMs: 3_000 }).catch((e: unknown) => e);
  expect(isTaskwireError(late) && late.code).toBe('TIMEOUT');
  expect((await client.$status(handle.id)).state).toBe('failed');
  expect(await client.alerts.failed.result(`${handle.id}.catch`)).toEqual({ seen: handle.id });
  await expect.poll(() => runs['alerts']?.length, { timeout: 3_000 }).toBe(2);
  expect((runs['alerts'] as Array<{ error: { code: string } }>).map((f) => f.error.code)).toEqual(['TIMEOUT', 'TIMEOUT']);
  expect(runs['index']).toEqual([]);
});

it('says a follow-up of a cancelled call did not run because its call was cancelled', async () => {
  const { client, runs } = await start();
  const handle = await client.images.resize.send({ url: 'slow', width: 3 }, { then: 'images.index', catch: 'alerts.failed' });
  await expect.poll(() => runs['resize']?.includes('slow'), { timeout: 3_000 }).toBe(true);
  await handle.cancel();
  const never = await client.images.index.result(`${handle.id}.then`, { timeoutMs: 3_000 }).catch((e: unknown) => e);
  expect(isTaskwireError(never) && [never.code, never.message]).toEqual(['UNKNOWN_CALL', `follow-up ${handle.id}.then did not run: its call ${handle.id} was cancelled`]);
  expect(runs['alerts']).toEqual([]);
});

it('runs no catch for a call its worker handed back on close: the next worker runs it, and only then', async () => {
  const { client, runs, worker, hold, another } = await start();
  const handle = await client.images.resize.send({ url: 'handoff', width: 2 }, { then: 'images.index', catch: 'alerts.failed' });
  await expect.poll(() => runs['resize']).toEqual(['handoff']);
  await worker.close({ drainTimeoutMs: 50 });
  hold.handoff = false;
  await another();
  expect(await handle.result()).toMatchObject({ url: 'handoff@2' });
  expect(await client.images.index.result(`${handle.id}.then`)).toEqual({ indexed: 'handoff@2:20' });
  await new Promise((r) => setTimeout(r, 300));
  expect(runs['alerts']).toEqual([]);
  expect((await client.$status(`${handle.id}.catch`)).state).toBe('unknown');
});
