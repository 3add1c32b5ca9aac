import { z } from 'zod';
import { createClient, createWorker, router, task, type ClientOptions, type WorkerOptions } from '../../src/index.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

/** A contract whose handlers record when and in what order calls ran. */
export const contract = router({
  run: task({ input: z.object({ tag: z.string(), ms: z.number().default(0) }), output: z.string(), queue: 'sched' }),
  urgent: task({ input: z.object({ tag: z.string(), ms: z.number().default(0) }), output: z.string(), queue: 'sched', priority: 1 }),
  other: task({ input: z.object({ tag: z.string(), ms: z.number().default(0) }), output: z.string(), queue: 'other' }),
});

export interface Ran {
  tag: string;
  at: number;
}

/** A client and (not yet started) worker on a fresh prefix; `ran` lists each run in order. */
export function schedulingEnv(options: { worker?: Partial<WorkerOptions>; client?: Partial<ClientOptions> } = {}) {
  const prefix = randomPrefix();
  const ran: Ran[] = [];
  const handler = async ({ tag, ms }: { tag: string; ms: number }) => {
    ran.push({ tag, at: Date.now() });
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    return tag;
  };
  const worker = createWorker(contract, { run: handler, urgent: handler, other: handler }, { redis: redisUrl(), prefix, logger: quietLogger, ...options.worker });
  const client = createClient(contract, { redis: redisUrl(), prefix, noWorkers: 'wait', ...options.client });
  const insp = inspector(prefix);
  return {
    prefix,
    ran,
    worker,
    client,
    redis: insp.redis,
    async cleanup() {
      await client.$close();
      await worker.close({ drainTimeoutMs: 500 });
      await insp.cleanup();
    },
  };
}
