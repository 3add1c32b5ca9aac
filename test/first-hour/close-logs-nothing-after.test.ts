import { afterEach, expect, it } from 'vitest';
import { createClient, createWorker } from '../../src/index.js';
import { contract, handlers } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';
import { recordingLogger } from './support/recording-logger.js';

// A handler that ignores its signal and ends after close()'s drain: close() handed its call back,
// then the handler's late result tried to settle on the closed connection and the worker logged
// "could not settle a call … Connection is closed" after close() had resolved (found by an
// operators' review). Nothing of a closed worker logs.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('logs nothing after close(), even when a handler that ignored its signal ends after the drain', async () => {
  const prefix = randomPrefix();
  const logger = recordingLogger();
  const stubborn = {
    ...handlers,
    math: { ...handlers.math, slow: async ({ ms }: { ms: number }) => (await new Promise((r) => setTimeout(r, ms)), 'done' as const) },
  };
  const worker = createWorker(contract, stubborn, { redis: redisUrl(), prefix, logger });
  await worker.start();
  const client = createClient(contract, { redis: redisUrl(), prefix });
  cleanups.push(() => inspector(prefix).cleanup(), () => client.$close());
  const call = client.math.slow({ ms: 600 }, { timeoutMs: 5_000 }).catch((e: unknown) => e);
  await expect.poll(() => worker.running, { timeout: 3_000 }).toBe(1);
  await worker.close({ drainTimeoutMs: 100 });
  const atClose = logger.lines.length;
  // The handler ends about 500 ms later; its settle would fail on the closed connection.
  await new Promise((r) => setTimeout(r, 900));
  expect(logger.lines.slice(atClose)).toEqual([]);
  // The call was handed back: another worker finishes it.
  const next = createWorker(contract, handlers, { redis: redisUrl(), prefix, logger: recordingLogger() });
  await next.start();
  cleanups.push(() => next.close());
  expect(await call).toBe('done');
});
