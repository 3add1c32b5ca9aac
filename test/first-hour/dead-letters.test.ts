import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdmin, createClient, createWorker, isTaskwireError, router, task, TaskError } from '../../src/index.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

/**
 * Issue 13, point 5: dead letters are failures an operator must look at, and they read as the
 * caller's values, not as the wire.
 */
const contract = router({
  // Retried on undeclared failures, with backoff far longer than a call's time.
  slowRetry: task({ input: z.object({ n: z.number() }), output: z.number(), retry: { attempts: 3, backoffMs: 60_000 } }),
  // Runs until ctx.signal aborts at the deadline and rethrows its reason (TIMEOUT).
  hang: task({ input: z.object({}), output: z.null(), retry: { attempts: 3, backoffMs: 10 } }),
  fail: task({
    input: z.object({ when: z.date(), tags: z.set(z.string()) }),
    output: z.null(),
    errors: { REJECTED: z.object({ at: z.date(), why: z.string() }) },
    retry: { attempts: 2, backoffMs: 10, retryOn: ['REJECTED'] },
  }),
});

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function start() {
  const prefix = randomPrefix();
  const worker = createWorker(
    contract,
    {
      slowRetry: () => {
        throw new Error('upstream down');
      },
      hang: (_input, ctx) =>
        new Promise<null>((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error))),
      fail: (_input, ctx) => {
        throw ctx.error('REJECTED', { at: new Date(1_700_000_000_000), why: 'card declined' });
      },
    },
    { redis: redisUrl(), prefix, logger: quietLogger, maintenanceIntervalMs: 50 },
  );
  await worker.start();
  const client = createClient(contract, { redis: redisUrl(), prefix });
  const admin = createAdmin({ redis: redisUrl(), prefix });
  const insp = inspector(prefix);
  cleanup = async () => {
    await client.$close();
    await worker.close();
    await admin.close();
    await insp.cleanup();
  };
  return { client, admin, worker };
}

it('does not dead-letter a call whose retry could not start before its deadline: its caller got the error', async () => {
  const { client, admin, worker } = await start();
  const err = await client.slowRetry({ n: 1 }, { timeoutMs: 1_000 }).catch((e: unknown) => e);
  expect(isTaskwireError(err) && err.code).toBe('INTERNAL');
  expect((err as Error).message).toBe('upstream down');
  await new Promise((r) => setTimeout(r, 200));
  expect((await admin.counts('default')).dead).toBe(0);
  expect(worker.stats.deadLettered).toBe(0);
});

it('does not dead-letter a call that ran out of time at the caller (TIMEOUT), whatever its retry policy', async () => {
  const { client, admin, worker } = await start();
  const err = await client.hang({}, { timeoutMs: 300 }).catch((e: unknown) => e);
  expect(isTaskwireError(err) && err.code).toBe('TIMEOUT');
  await expect.poll(() => worker.stats.failed).toBe(1);
  expect((await admin.counts('default')).dead).toBe(0);
  expect(await admin.deadLetters('default').list()).toEqual([]);
});

it('lists a dead letter with the decoded input and the error as its caller got it; the wire only on request', async () => {
  const { client, admin } = await start();
  const when = new Date(1_600_000_000_000);
  const err = await client.fail({ when, tags: new Set(['a', 'b']) }, { headers: { traceparent: '00-x' } }).catch((e: unknown) => e);
  expect(isTaskwireError(err) && err.code).toBe('REJECTED');
  const dead = admin.deadLetters('default');
  await expect.poll(() => dead.count()).toBe(1);
  const [letter] = await dead.list();
  expect(letter).toMatchObject({ reason: 'ATTEMPTS_EXHAUSTED', task: 'fail', attempt: 2, headers: { traceparent: '00-x' } });
  expect(letter?.input).toEqual({ when, tags: new Set(['a', 'b']) });
  expect(letter?.error).toBeInstanceOf(TaskError);
  expect(letter?.error).toMatchObject({ code: 'REJECTED', defined: true, data: { at: new Date(1_700_000_000_000), why: 'card declined' } });
  expect(letter?.raw).toBeUndefined();
  expect(JSON.stringify(letter)).not.toContain('"json"');
  const [withRaw] = await dead.list({ raw: true });
  expect(withRaw?.raw?.envelope.startsWith('{"v":1,"id":"')).toBe(true);
  expect(withRaw?.raw?.reply).toContain('"code":"REJECTED"');
  expect((await dead.get(letter?.id ?? '', { raw: true }))?.raw?.envelope).toBe(withRaw?.raw?.envelope);
});

it("keeps a dead letter's priority and fair group", async () => {
  const { client, admin } = await start();
  await client.fail({ when: new Date(0), tags: new Set() }, { group: 'tenant-7' }).catch(() => undefined);
  const dead = admin.deadLetters('default');
  await expect.poll(() => dead.count()).toBe(1);
  const [letter] = await dead.list();
  expect(letter).toMatchObject({ group: 'tenant-7', priority: undefined, reason: 'ATTEMPTS_EXHAUSTED' });
});
