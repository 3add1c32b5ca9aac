import { afterEach, expect, it } from 'vitest';
import { createClient, createWorker, isTaskwireError, type TaskEvent } from '../../src/index.js';
import { eventKeys } from '../../src/wire/keys.js';
import { followUpContract } from './follow-up-contract.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

/** client.$events: completions and final failures of a task, for observers (src/client/task-events.ts). */

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const AT = new Date(1_700_000_000_000);

async function start() {
  const prefix = randomPrefix();
  const worker = createWorker(
    followUpContract,
    {
      images: {
        resize: ({ url, width, fail }, ctx) => {
          if (fail) throw ctx.error('NOT_FOUND', { url });
          return { url: `${url}@${width}`, bytes: width, at: AT };
        },
        index: ({ url, bytes }) => ({ indexed: `${url}:${bytes}` }),
      },
      notify: ({ indexed }) => indexed,
      alerts: { failed: ({ callId }) => ({ seen: callId }) },
      square: (n) => n * n,
    },
    { redis: redisUrl(), prefix, logger: quietLogger },
  );
  await worker.start();
  const client = createClient(followUpContract, { redis: redisUrl(), prefix });
  const observer = createClient(followUpContract, { redis: redisUrl(), prefix });
  const insp = inspector(prefix);
  cleanups.push(async () => {
    await observer.$close();
    await client.$close();
    await worker.close();
    await insp.cleanup();
  });
  return { prefix, client, observer, redis: insp.redis };
}

/** Reads `n` events, or fails after 5 s. */
async function take<O>(events: AsyncIterable<TaskEvent<O>>, n: number): Promise<Array<TaskEvent<O>>> {
  const got: Array<TaskEvent<O>> = [];
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`only ${got.length} of ${n} events`)), 5000).unref());
  const read = (async () => {
    for await (const e of events) {
      got.push(e);
      if (got.length === n) break;
    }
    return got;
  })();
  return Promise.race([read, timeout]);
}

it('yields each completion and final failure of the task, typed, to every observer while subscribed', async () => {
  const { client, observer } = await start();
  const events = observer.$events('images.resize');
  const second = observer.$events('images.resize');
  await Promise.all([events.ready, second.ready]);
  await client.images.resize({ url: 'a', width: 1 });
  await client.images.resize({ url: 'b', width: 2, fail: true }).catch(() => undefined);
  await client.square(3);
  const got = await take(events, 2);
  expect(got[0]).toMatchObject({ task: 'images.resize', ok: true, output: { url: 'a@1', bytes: 1, at: AT } });
  const failure = got[1];
  expect(failure?.ok === false && isTaskwireError(failure.error) && [failure.error.code, failure.error.data]).toEqual(['NOT_FOUND', { url: 'b' }]);
  expect((await take(second, 2)).map((e) => e.ok)).toEqual([true, false]);
  await events.close();
  await second.close();
});

it('costs nothing when nobody listens: no event is published, and closing a stream stops them', async () => {
  const { client, observer, redis, prefix } = await start();
  const keys = eventKeys(prefix);
  const spy = redis.duplicate();
  cleanups.push(async () => spy.disconnect());
  const heard: string[] = [];
  await spy.subscribe(keys.channel('images.resize'));
  spy.on('message', (_c: string, m: string) => heard.push(m));
  await client.images.resize({ url: 'quiet', width: 1 });
  await new Promise((r) => setTimeout(r, 100));
  expect(heard).toEqual([]);

  const events = observer.$events('images.resize');
  await events.ready;
  expect(await redis.zcard(keys.watching)).toBe(1);
  await client.images.resize({ url: 'loud', width: 1 });
  await expect.poll(() => heard.filter((m) => m.includes('loud')).length).toBe(1);
  await events.close();
  expect(await redis.zcard(keys.watching)).toBe(0);
  // The worker reads the watches again at its next maintenance tick (1 s by default).
  await new Promise((r) => setTimeout(r, 1500));
  const before = heard.length;
  await client.images.resize({ url: 'quiet-again', width: 1 });
  await new Promise((r) => setTimeout(r, 100));
  expect(heard.length).toBe(before);
});

it('refuses a task the contract does not have; breaking out of the loop ends the stream', async () => {
  const { client, observer, redis, prefix } = await start();
  expect(() => observer.$events('images.nope' as never)).toThrow(/unknown task "images.nope"/);
  const events = observer.$events('notify');
  await events.ready;
  await client.notify({ indexed: 'x' });
  for await (const e of events) {
    expect(e).toMatchObject({ ok: true, output: 'x' });
    break;
  }
  await expect.poll(() => redis.zcard(eventKeys(prefix).watching)).toBe(0);
});

it('never makes an awaited result depend on events: a call with watchers settles like any other', async () => {
  const { client, observer } = await start();
  const ac = new AbortController();
  const events = observer.$events('square', { signal: ac.signal, maxBuffered: 2 });
  await events.ready;
  expect(await Promise.all([1, 2, 3, 4].map((n) => client.square(n)))).toEqual([1, 4, 9, 16]);
  await expect.poll(() => events.dropped).toBe(2);
  ac.abort();
  const left: unknown[] = [];
  for await (const e of events) left.push(e);
  expect(left).toHaveLength(2);
});

it('leaves no watch behind when a stream is closed before it is ready', async () => {
  const { observer, redis, prefix } = await start();
  const events = observer.$events('square');
  await events.close();
  await events.ready;
  // Past a renewal: nothing brought the watch back.
  await new Promise((r) => setTimeout(r, 300));
  expect(await redis.zcard(eventKeys(prefix).watching)).toBe(0);
});
