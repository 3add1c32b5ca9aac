import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createWorker, router, task } from '../../src/index.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

// A concurrency limit's held calls re-enter when a slot frees. On an otherwise idle worker,
// nothing woke it when a limited call ended: it slept through its park (1 s) before taking the
// next held call, so 10 calls of 200 ms limited to 2 at a time took 4.2 s instead of 1 s (found
// by a review of SCHEDULING.md). A freed slot with calls held behind it now wakes a parked worker.

const contract = router({
  limited: task({ input: z.object({ i: z.number() }), output: z.number(), concurrency: 2 }),
  grouped: task({ input: z.object({ i: z.number() }), output: z.number() }),
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function idleWorker(groups?: { concurrency: number }) {
  const prefix = randomPrefix();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const worker = createWorker(
    contract,
    { limited: async ({ i }) => (await sleep(100), i), grouped: async ({ i }) => (await sleep(100), i) },
    // Upkeep rarely: only a wake-up (or a 1 s park's end) brings a held call back.
    { redis: redisUrl(), prefix, logger: quietLogger, concurrency: 16, maintenanceIntervalMs: 5_000, workerTtlMs: 20_000, ...(groups ? { groups } : {}) },
  );
  await worker.start();
  const client = createClient(contract, { redis: redisUrl(), prefix });
  cleanups.push(() => inspector(prefix).cleanup(), () => worker.close(), () => client.$close());
  return client;
}

it("runs a task's held calls as its slots free: 10 calls of 100 ms, 2 at a time, in about 0.5 s", async () => {
  const client = await idleWorker();
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 10 }, (_, i) => client.limited({ i })));
  // 5 waves of 100 ms; before, each wave after the first waited out a 1 s park (about 4.2 s).
  expect(Date.now() - t0).toBeLessThan(1_500);
});

it("runs a group's held calls as its slot frees (worker option groups: { concurrency: 1 })", async () => {
  const client = await idleWorker({ concurrency: 1 });
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 10 }, (_, i) => client.grouped({ i }, { group: i % 2 === 0 ? 'a' : 'b' })));
  // Two groups, one at a time each: 5 waves of 100 ms.
  expect(Date.now() - t0).toBeLessThan(1_500);
});
