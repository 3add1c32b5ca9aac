import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createWorker, router, task } from '../../src/index.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

const contract = router({
  a: task({ input: z.number(), output: z.number(), queue: 'qa' }),
  b: task({ input: z.number(), output: z.number(), queue: 'qb' }),
});

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => cleanup?.());

it('never runs more handlers than its concurrency, across all of its queues', async () => {
  const prefix = randomPrefix();
  let now = 0;
  let peak = 0;
  const work = async (n: number) => {
    peak = Math.max(peak, ++now);
    await new Promise((r) => setTimeout(r, 5));
    now--;
    return n;
  };
  const worker = createWorker(contract, { a: work, b: work }, { redis: redisUrl(), prefix, concurrency: 3, logger: quietLogger });
  await worker.start();
  const client = createClient(contract, { redis: redisUrl(), prefix });
  const insp = inspector(prefix);
  cleanup = async () => {
    await client.$close();
    await worker.close();
    await insp.cleanup();
  };
  const calls = Array.from({ length: 200 }, (_, i) => (i % 2 ? client.a(i) : client.b(i)));
  expect(await Promise.all(calls)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  expect(peak).toBe(3);
});
