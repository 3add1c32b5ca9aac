import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createWorker, router, task } from '../../src/index.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

// A retry waits in `delayed` for its backoff. The worker that settled it was parked on the empty
// queue for up to 1 s, and nothing woke it: a 100 ms backoff took up to a second (found by a
// first-hour walkthrough: 3 attempts with backoffMs 100 took 1.5 s). complete-4 now leaves a
// wake-up token with a retry, so the parked worker learns when it is due and parks no longer.

const BACKOFF_MS = 200;
const contract = router({
  flaky: task({ input: z.object({ key: z.string() }), output: z.number(), retry: { attempts: 2, backoffMs: BACKOFF_MS } }),
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('runs the next attempt about its backoff after the failure, not when the idle worker next wakes by itself', async () => {
  const prefix = randomPrefix();
  const failedAt = new Map<string, number>();
  const gaps: number[] = [];
  const worker = createWorker(
    contract,
    {
      flaky: ({ key }) => {
        const failed = failedAt.get(key);
        if (failed === undefined) {
          failedAt.set(key, Date.now());
          throw new Error('first attempt fails');
        }
        gaps.push(Date.now() - failed);
        return 1;
      },
    },
    // Upkeep rarely, so only a wake-up (or the 1 s park's end) can bring the retry back.
    { redis: redisUrl(), prefix, logger: quietLogger, maintenanceIntervalMs: 5_000, workerTtlMs: 20_000 },
  );
  await worker.start();
  const client = createClient(contract, { redis: redisUrl(), prefix });
  cleanups.push(() => inspector(prefix).cleanup(), () => worker.close(), () => client.$close());
  for (let i = 0; i < 5; i++) expect(await client.flaky({ key: `k${i}` })).toBe(1);
  // Full jitter: each backoff is below BACKOFF_MS; the rest is a take and a settle (a few ms).
  // Before, each gap was the rest of a 1 s park, about 1,000 ms.
  expect(gaps).toHaveLength(5);
  expect(Math.max(...gaps), JSON.stringify(gaps)).toBeLessThan(BACKOFF_MS + 350);
});
