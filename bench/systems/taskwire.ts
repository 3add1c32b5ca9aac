import { Redis } from 'ioredis';
import { createClient, createWorker, type ReplyMode } from '../../src/index.js';
import { queueKeys } from '../../src/wire/keys.js';
import { benchContract, QUEUE, work } from '../workload.js';
import { CALL_TIMEOUT_MS, type BenchClient, type BenchWorker, type Endpoint, type System, type SystemName } from './system.js';

/** taskwire with everything on: leases, zod on both ends, superjson; only the reply mode varies. */
export function taskwireSystem(replyMode: ReplyMode): System {
  const name: SystemName = replyMode === 'key' ? 'taskwire-key' : 'taskwire-pubsub';
  return {
    name,
    label: `taskwire (${replyMode})`,
    worker: 'taskwire',
    async connect({ url, namespace }: Endpoint): Promise<BenchClient> {
      const client = createClient(benchContract, { redis: url, prefix: namespace, replyMode });
      return {
        call: (input) => client.work(input, { timeoutMs: CALL_TIMEOUT_MS }),
        close: () => client.$close(),
      };
    },
    async enqueueOnly({ url, namespace }: Endpoint, input, count): Promise<void> {
      // 'wait': enqueue although no worker is alive; the calls are abandoned by closing the client.
      const client = createClient(benchContract, { redis: url, prefix: namespace, replyMode, noWorkers: 'wait' });
      const calls = Array.from({ length: count }, () => client.work(input, { timeoutMs: CALL_TIMEOUT_MS }).catch(() => undefined));
      await waitFor(() => client.$pending === count);
      // $pending counts calls from the moment they are validated; wait for Redis to hold them all.
      await settleQueued(url, queueKeys(namespace, QUEUE).wait, count);
      await client.$close();
      await Promise.all(calls);
    },
  };
}

export async function startTaskwireWorker({ url, namespace }: Endpoint, concurrency: number): Promise<BenchWorker> {
  const logger = { warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };
  const worker = createWorker(benchContract, { work: (input) => work(input) }, { redis: url, prefix: namespace, concurrency, logger });
  await worker.start();
  return { close: () => worker.close({ drainTimeoutMs: 2000 }) };
}

async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function settleQueued(url: string, key: string, count: number): Promise<void> {
  const redis = new Redis(url);
  try {
    while ((await redis.llen(key)) < count) await new Promise((resolve) => setTimeout(resolve, 5));
  } finally {
    redis.disconnect();
  }
}
