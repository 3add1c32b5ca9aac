import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createSchedules, createWorker, isTaskwireError, router, task } from '../../src/index.js';
import { queueKeys } from '../../src/wire/keys.js';
import { quietLogger } from '../support/fixtures.js';
import { monitorCommands } from '../support/monitor.js';
import { randomPrefix, redisUrl } from '../support/redis.js';

/**
 * `shardedPubSub`: replies of reply mode "pubsub", progress reports, idempotency followers' copies,
 * cancellations, schedule pokes and completion events go by SPUBLISH on channels of the call's queue (which live on
 * its shard of a Cluster) instead of PUBLISH, which a Cluster copies to every node. On one node
 * the commands are what differs; test/cluster shows where they land on a Cluster.
 */
const contract = router({
  work: task({ input: z.object({ n: z.number(), ms: z.number().default(0) }), output: z.number(), progress: z.number() }),
  tick: task({ input: z.object({}), output: z.number() }),
});

let cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

it('answers, reports progress, copies results to followers, cancels and publishes events on the queue’s shard channels, never by PUBLISH', async () => {
  const prefix = randomPrefix();
  const keys = queueKeys(prefix, 'default');
  let aborted = 0;
  const worker = createWorker(
    contract,
    {
      work: async ({ n, ms }, ctx) => {
        ctx.progress(n);
        await new Promise((resolve) => setTimeout(resolve, ms));
        if (ctx.signal.aborted) aborted++;
        return n * 2;
      },
      tick: () => 1,
    },
    { redis: redisUrl(), prefix, logger: quietLogger },
  );
  await worker.start();
  cleanups.push(() => worker.close());
  const client = createClient(contract, { redis: redisUrl(), prefix, logger: quietLogger, shardedPubSub: true });
  cleanups.push(() => client.$close());
  const monitor = await monitorCommands(redisUrl(), prefix);
  cleanups.push(async () => monitor.stop());

  const progress: number[] = [];
  expect(await client.work({ n: 1 }, { replyMode: 'pubsub', onProgress: (p) => void progress.push(p) })).toBe(2);
  // Key mode's progress reports too.
  expect(await client.work({ n: 2 }, { onProgress: (p) => void progress.push(p) })).toBe(4);
  expect(progress).toEqual([1, 2]);
  // Two callers of one idempotency key: the follower's copy goes by SPUBLISH as well.
  const [a, b] = await Promise.all([
    client.work({ n: 3, ms: 100 }, { replyMode: 'pubsub', idempotencyKey: 'k' }),
    client.work({ n: 3, ms: 100 }, { replyMode: 'pubsub', idempotencyKey: 'k' }),
  ]);
  expect([a, b]).toEqual([6, 6]);
  // A running call cancelled by its caller: the worker hears it on the queue's cancel channel.
  const controller = new AbortController();
  const cancelled = client.work({ n: 4, ms: 400 }, { signal: controller.signal, onProgress: (p) => void progress.push(p) }).catch((e: unknown) => isTaskwireError(e) && e.code);
  await expect.poll(() => progress.length).toBe(3);
  controller.abort();
  expect(await cancelled).toBe('CANCELLED');
  await expect.poll(() => aborted).toBe(1);
  // Completion events: the watch is announced, acknowledged and the events published on the queue's shard.
  const events = client.$events('work');
  await events.ready;
  await client.work({ n: 5 });
  for await (const e of events) {
    expect(e).toMatchObject({ ok: true, output: 10 });
    break;
  }
  // A schedule upserted with shardedPubSub pokes the workers the same way.
  const schedules = createSchedules(contract, { redis: redisUrl(), prefix, logger: quietLogger, shardedPubSub: true });
  cleanups.push(() => schedules.close());
  await schedules.upsert('tick', { id: 's', input: {}, everyMs: 60_000 });

  const publishedNow = () => monitor.seen.filter((c) => /^s?publish$/i.test(c.args[0] ?? ''));
  // MONITOR's lines trail the commands a little.
  await expect.poll(() => publishedNow().some((c) => c.args[1] === keys.scheduleChannel)).toBe(true);
  const published = publishedNow();
  expect(published.filter((c) => c.args[0]?.toLowerCase() === 'publish')).toEqual([]);
  const channels = new Set(published.map((c) => c.args[1]));
  expect(channels).toEqual(new Set([keys.replyChannel(client.$id), keys.cancelChannel, keys.scheduleChannel, keys.eventWatch, keys.eventChannel('work')]));
  // Replies of the three pub/sub calls (the follower's copy among them) and three progress reports.
  expect(published.filter((c) => c.args[1] === keys.replyChannel(client.$id)).length).toBe(3 + 3);
}, 20_000);

it('still hears PUBLISHed cancellations of clients without the option', async () => {
  const prefix = randomPrefix();
  let aborted = 0;
  const worker = createWorker(
    contract,
    {
      work: async ({ ms }, ctx) => {
        ctx.progress(0);
        await new Promise((resolve) => setTimeout(resolve, ms));
        if (ctx.signal.aborted) aborted++;
        return 0;
      },
      tick: () => 1,
    },
    { redis: redisUrl(), prefix, logger: quietLogger },
  );
  await worker.start();
  cleanups.push(() => worker.close());
  const client = createClient(contract, { redis: redisUrl(), prefix, logger: quietLogger });
  cleanups.push(() => client.$close());
  const controller = new AbortController();
  let started = false;
  const call = client.work({ n: 0, ms: 400 }, { signal: controller.signal, onProgress: () => void (started = true) }).catch((e: unknown) => isTaskwireError(e) && e.code);
  await expect.poll(() => started).toBe(true);
  controller.abort();
  expect(await call).toBe('CANCELLED');
  await expect.poll(() => aborted).toBe(1);
});
