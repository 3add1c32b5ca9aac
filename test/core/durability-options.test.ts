import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, isTaskwireError, router, task } from '../../src/index.js';
import { quietLogger } from '../support/fixtures.js';
import { randomPrefix, redisUrl } from '../support/redis.js';

/**
 * The durability option where there is no replica to wait for (one plain Redis): a bad option is
 * refused at creation, and a call whose enqueue no replica confirms fails with NOT_REPLICATED
 * before its deadline instead of counting as sent. Failovers with replicas: test/scale.
 */
const contract = router({ echo: task({ input: z.object({ n: z.number() }), output: z.number() }) });

let cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

it('refuses a durability option that cannot be met, naming the field', () => {
  for (const durability of [{ replicas: 0 }, { replicas: 1.5 }, { replicas: 1, timeoutMs: 0 }]) {
    const err = (() => {
      try {
        createClient(contract, { redis: redisUrl(), durability });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isTaskwireError(err) && err.code).toBe('VALIDATION');
    expect(String((err as Error).message)).toMatch(/durability\.(replicas|timeoutMs)/);
  }
});

it('fails a call with NOT_REPLICATED when no replica confirms its enqueue, before its deadline', async () => {
  const prefix = randomPrefix();
  const client = createClient(contract, { redis: redisUrl(), prefix, logger: quietLogger, durability: { replicas: 1, timeoutMs: 100 } });
  cleanups.push(() => client.$close());
  const started = Date.now();
  // No worker answers it first (a result that arrives wins over the missing confirmation).
  const err = await client.echo({ n: 1 }, { timeoutMs: 2_500, noWorkers: 'wait' }).catch((e: unknown) => e);
  // Redis applied the enqueue; what the call may not do is count as replicated.
  expect(isTaskwireError(err) && err.code).toBe('NOT_REPLICATED');
  expect((err as { data?: unknown }).data).toMatchObject({ task: 'echo', replicas: 1, acknowledged: 0 });
  expect(Date.now() - started).toBeLessThan(2_500);
});
