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

it('does not let one worker hoard CPU-bound calls while another idles', async () => {
  const prefix = randomPrefix();
  const cpu = router({ burn: task({ input: z.number(), output: z.number() }) });
  const ran = new Map<string, number>();
  const make = (name: string) =>
    createWorker(
      cpu,
      {
        burn: (n) => {
          ran.set(name, (ran.get(name) ?? 0) + 1);
          const end = performance.now() + 4; // ~4 ms of synchronous work, like an image resize
          while (performance.now() < end);
          return n;
        },
      },
      { redis: redisUrl(), prefix, concurrency: 100, logger: quietLogger },
    );
  const workers = [make('w1'), make('w2')];
  await Promise.all(workers.map((w) => w.start()));
  const client = createClient(cpu, { redis: redisUrl(), prefix });
  const insp = inspector(prefix);
  cleanup = async () => {
    await client.$close();
    await Promise.all(workers.map((w) => w.close()));
    await insp.cleanup();
  };
  // Warm-up: each worker learns what a call costs it.
  await Promise.all(Array.from({ length: 20 }, (_, i) => client.burn(i)));
  ran.clear();
  // 60 calls at once: with 100 free slots, either worker could take them all and run them one
  // after another (~240 ms) while the other sat idle.
  expect(await Promise.all(Array.from({ length: 60 }, (_, i) => client.burn(i)))).toHaveLength(60);
  expect(Math.min(ran.get('w1') ?? 0, ran.get('w2') ?? 0)).toBeGreaterThanOrEqual(15);
});
