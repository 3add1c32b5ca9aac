import { z } from 'zod';
import { router, task } from '../../src/contract/index.js';
import { createClient, createWorker, type ClientOptions, type Handlers, type WorkerOptions } from '../../src/index.js';
import { inspector, randomPrefix, redisUrl } from './redis.js';

/** The contract most integration tests share: a bit of everything the wire must carry. */
export const contract = router({
  tasks: router({
    resize: task({
      input: z.object({ url: z.string().url(), width: z.number().int().positive() }),
      output: z.object({ url: z.string(), bytes: z.number(), at: z.date() }),
      errors: { NOT_FOUND: z.object({ url: z.string() }) },
      queue: 'images',
      timeoutMs: 10_000,
    }),
  }),
  math: router({
    add: task({ input: z.object({ a: z.number(), b: z.number() }), output: z.number() }),
    echo: task({
      input: z.object({ when: z.date(), tags: z.set(z.string()), counts: z.map(z.string(), z.bigint()), note: z.string().optional() }),
      output: z.object({ when: z.date(), tags: z.set(z.string()), counts: z.map(z.string(), z.bigint()), note: z.string().optional() }),
    }),
    slow: task({ input: z.object({ ms: z.number() }), output: z.literal('done') }),
    bad: task({ input: z.object({}), output: z.object({ n: z.number() }) }),
    boom: task({ input: z.object({ message: z.string() }), output: z.null() }),
  }),
});

export const handlers: Handlers<typeof contract> = {
  tasks: {
    resize: async (input, ctx) => {
      if (input.url.endsWith('/missing')) throw ctx.error('NOT_FOUND', { url: input.url });
      return { url: `${input.url}?w=${input.width}`, bytes: input.width * 10, at: new Date(1_700_000_000_000) };
    },
  },
  math: {
    add: ({ a, b }) => a + b,
    echo: (input) => input,
    slow: async ({ ms }, ctx) => {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(ctx.signal.reason as Error);
        });
      });
      return 'done' as const;
    },
    // Breaks its own contract on purpose: the caller must get INTERNAL, not a wrong value.
    bad: () => ({ n: 'not a number' }) as unknown as { n: number },
    boom: ({ message }) => {
      throw new Error(message);
    },
  },
};

export const quietLogger = { warn: () => undefined, error: () => undefined };

/** A worker and a client on a fresh prefix, and a cleanup that closes both and deletes the keys. */
export async function setup(
  overrides: { client?: Partial<ClientOptions>; worker?: Partial<WorkerOptions>; startWorker?: boolean } = {},
) {
  const prefix = randomPrefix();
  const url = redisUrl();
  const worker = createWorker(contract, handlers, { redis: url, prefix, logger: quietLogger, ...overrides.worker });
  if (overrides.startWorker !== false) await worker.start();
  const client = createClient(contract, { redis: url, prefix, ...overrides.client });
  const insp = inspector(prefix, url);
  let cleaned = false;
  return {
    prefix,
    url,
    worker,
    client,
    redis: insp.redis,
    /** Idempotent: a test file's afterEach may meet the same env twice. */
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await client.$close();
      await worker.close({ drainTimeoutMs: 1000 });
      await insp.cleanup();
    },
  };
}
