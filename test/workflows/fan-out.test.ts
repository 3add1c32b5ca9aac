import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createWorker, isTaskwireError, router, task } from '../../src/index.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

/** map and mapSettled on every task stub (src/client/fan-out.ts). */
const contract = router({
  square: task({ input: z.object({ n: z.number(), ms: z.number().default(0) }), output: z.number() }),
});

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function start() {
  const prefix = randomPrefix();
  const started: number[] = [];
  const aborted: number[] = [];
  let running = 0;
  let mostRunning = 0;
  const worker = createWorker(
    contract,
    {
      square: async ({ n, ms }, ctx) => {
        started.push(n);
        running++;
        mostRunning = Math.max(mostRunning, running);
        try {
          await new Promise<void>((resolve, reject) => {
            const t = setTimeout(resolve, ms);
            ctx.signal.addEventListener('abort', () => {
              clearTimeout(t);
              aborted.push(n);
              reject(ctx.signal.reason as Error);
            });
          });
        } finally {
          running--;
        }
        if (n < 0) throw new Error(`negative ${n}`);
        return n * n;
      },
    },
    { redis: redisUrl(), prefix, logger: quietLogger, concurrency: 20 },
  );
  await worker.start();
  const client = createClient(contract, { redis: redisUrl(), prefix });
  const insp = inspector(prefix);
  cleanup = async () => {
    await client.$close();
    await worker.close();
    await insp.cleanup();
  };
  return { client, started, aborted, mostRunning: () => mostRunning };
}

describe('map', () => {
  it('answers in input order whatever order the calls finish in', async () => {
    const { client } = await start();
    const out = await client.square.map([{ n: 1, ms: 60 }, { n: 2, ms: 0 }, { n: 3, ms: 30 }]);
    expect(out).toEqual([1, 4, 9]);
  });

  it('runs at most `concurrency` calls at once', async () => {
    const e = await start();
    const out = await e.client.square.map(Array.from({ length: 10 }, (_, n) => ({ n, ms: 30 })), { concurrency: 2 });
    expect(out).toEqual(Array.from({ length: 10 }, (_, n) => n * n));
    expect(e.mostRunning()).toBe(2);
  });

  it('rejects with the first failure, cancels the calls still running, and starts no more', async () => {
    const e = await start();
    const inputs = [{ n: 1, ms: 2_000 }, { n: -1, ms: 50 }, { n: 2, ms: 2_000 }, { n: 3, ms: 0 }, { n: 4, ms: 0 }];
    const t0 = Date.now();
    const err = await e.client.square.map(inputs, { concurrency: 3 }).catch((x: unknown) => x);
    expect(isTaskwireError(err) && err.code).toBe('INTERNAL');
    expect((err as Error).message).toBe('negative -1');
    expect(Date.now() - t0).toBeLessThan(1_500);
    await expect.poll(() => e.aborted.sort()).toEqual([1, 2]);
    // Calls 3 and 4 were never started.
    await new Promise((r) => setTimeout(r, 100));
    expect(e.started.sort()).toEqual([-1, 1, 2]);
  });

  it('resolves map([]) to [] without sending anything, and refuses a concurrency below 1', async () => {
    const { client } = await start();
    expect(await client.square.map([])).toEqual([]);
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      const err = await client.square.map([{ n: 1 }], { concurrency }).catch((x: unknown) => x);
      expect(isTaskwireError(err) && err.code, String(concurrency)).toBe('VALIDATION');
    }
  });

  it('is cancelled as a whole by the caller’s signal', async () => {
    const e = await start();
    const abort = new AbortController();
    const mapped = e.client.square.map([{ n: 1, ms: 5_000 }, { n: 2, ms: 5_000 }], { signal: abort.signal }).catch((x: unknown) => x);
    await expect.poll(() => e.started.length).toBe(2);
    abort.abort();
    const err = await mapped;
    expect(isTaskwireError(err) && err.code).toBe('CANCELLED');
    await expect.poll(() => e.aborted.length).toBe(2);
  });
});

describe('mapSettled', () => {
  it('answers one outcome per input, in order, errors typed like a single call’s', async () => {
    const { client } = await start();
    const out = await client.square.mapSettled([{ n: 2 }, { n: -3 }, { n: 4, ms: 20 }]);
    expect(out.map((o) => (o.ok ? o.value : o.error.code))).toEqual([4, 'INTERNAL', 16]);
    const failed = out[1];
    expect(failed?.ok === false && failed.error.message).toBe('negative -3');
  });
});
