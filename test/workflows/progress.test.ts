import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createWorker, isTaskwireError, router, task } from '../../src/index.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

/** Progress reports: ctx.progress → onProgress and a detached call's status (src/worker/progress-reporter.ts). */

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const contract = router({
  count: task({
    input: z.object({ to: z.number().int(), bursts: z.number().int().default(1), mode: z.enum(['ok', 'bad', 'throw', 'hold']).default('ok') }),
    output: z.string(),
    errors: { LATE: z.object({ at: z.number() }) },
    progress: z.object({ done: z.number().int().min(0), at: z.date() }),
  }),
  plain: task({ input: z.null(), output: z.string() }),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start() {
  const prefix = randomPrefix();
  let release = () => undefined as void;
  const held = new Promise<void>((r) => (release = r));
  const worker = createWorker(
    contract,
    {
      count: async ({ to, bursts, mode }, ctx) => {
        if (mode === 'bad') {
          try {
            ctx.progress({ done: -1, at: new Date() });
          } catch (err) {
            return isTaskwireError(err) ? `${err.code}: ${err.message}` : 'not typed';
          }
          return 'accepted';
        }
        for (let b = 0; b < bursts; b++) {
          // A tight loop: 100,000 reports in a few ms.
          for (let i = 0; i < to; i++) ctx.progress({ done: b * to + i, at: new Date(1_700_000_000_000) });
          await sleep(150);
        }
        if (mode === 'hold') await held;
        if (mode === 'throw') throw ctx.error('LATE', { at: to });
        return 'done';
      },
      plain: (_, ctx) => {
        try {
          (ctx as unknown as { progress(v: unknown): void }).progress(1);
          return 'accepted';
        } catch (err) {
          return isTaskwireError(err) ? err.code : 'not typed';
        }
      },
    },
    { redis: redisUrl(), prefix, logger: quietLogger },
  );
  await worker.start();
  const client = createClient(contract, { redis: redisUrl(), prefix });
  const insp = inspector(prefix);
  cleanups.push(async () => {
    release();
    await client.$close();
    await worker.close();
    await insp.cleanup();
  });
  return { client, release, prefix };
}

for (const replyMode of ['key', 'pubsub'] as const) {
  it(`coalesces a tight loop of reports and delivers them in order to onProgress (reply mode ${replyMode})`, async () => {
    const { client } = await start();
    const seen: Array<{ done: number; at: Date }> = [];
    const out = await client.count({ to: 100_000, bursts: 2 }, { replyMode, onProgress: (p) => seen.push(p) });
    expect(out).toBe('done');
    // The first report at once, then the latest of each 100 ms; the last one when the handler ends
    // (which, with replies through the inbox, may land just after the result).
    await expect.poll(() => seen.at(-1)?.done, { timeout: 2_000 }).toBe(199_999);
    const done = seen.map((p) => p.done);
    expect(done[0]).toBe(0);
    expect(done).toContain(99_999);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(seen.length).toBeLessThanOrEqual(8);
    // Values cross the wire with the serializer: a Date stays a Date.
    expect(seen[0]?.at).toBeInstanceOf(Date);
  });
}

it('throws VALIDATION into the handler for a report that breaks the schema, and for a task that declares none', async () => {
  const { client } = await start();
  expect(await client.count({ to: 0, mode: 'bad' })).toMatch(/^VALIDATION: invalid progress for count: done: /);
  expect(await client.plain(null)).toBe('VALIDATION');
});

it('ends a call whose handler throws after reporting progress exactly as before', async () => {
  const { client } = await start();
  const seen: number[] = [];
  const err = await client.count({ to: 10, mode: 'throw' }, { onProgress: (p) => seen.push(p.done) }).catch((e: unknown) => e);
  expect(isTaskwireError(err) && err.code).toBe('LATE');
  expect((err as { data: unknown }).data).toEqual({ at: 10 });
  expect(seen[0]).toBe(0);
});

it('keeps the latest progress of a detached call in its status', async () => {
  const { client, release } = await start();
  const handle = await client.count.send({ to: 4, mode: 'hold' });
  await expect.poll(async () => (await handle.status()).progress, { timeout: 3_000 }).toEqual({ done: 3, at: new Date(1_700_000_000_000) });
  expect((await handle.status()).state).toBe('running');
  release();
  expect(await handle.result()).toBe('done');
});

it('publishes reports only for a caller that listens', async () => {
  const { client, prefix } = await start();
  const tap = new Redis(redisUrl());
  cleanups.push(async () => void tap.disconnect());
  const reports: string[] = [];
  tap.on('pmessage', (_pattern, _channel, message: string) => {
    if (message.includes('"progress"')) reports.push(message);
  });
  await tap.psubscribe(`${prefix}:reply:*`);
  // No onProgress, not detached: the reports are validated and dropped.
  expect(await client.count({ to: 1_000 })).toBe('done');
  expect(await client.count({ to: 1_000 }, { replyMode: 'pubsub' })).toBe('done');
  await sleep(100);
  expect(reports).toEqual([]);
  expect(await client.count({ to: 1_000 }, { onProgress: () => undefined })).toBe('done');
  await expect.poll(() => reports.length).toBeGreaterThan(0);
});
