import { z } from 'zod';
import { router, task } from '../../src/index.js';

const failedCall = z.object({
  callId: z.string(),
  task: z.string(),
  input: z.unknown(),
  error: z.object({ code: z.string(), message: z.string(), data: z.unknown().optional() }),
});

/** The contract of follow-ups.test.ts: a chain across three queues and a failure branch. */
export const followUpContract = router({
  images: router({
    resize: task({
      input: z.object({ url: z.string(), width: z.number(), fail: z.boolean().optional() }),
      output: z.object({ url: z.string(), bytes: z.number(), at: z.date() }),
      errors: { NOT_FOUND: z.object({ url: z.string() }) },
      queue: 'images',
    }),
    index: task({
      input: z.object({ url: z.string(), bytes: z.number() }),
      output: z.object({ indexed: z.string() }),
      queue: 'search',
    }),
  }),
  notify: task({ input: z.object({ indexed: z.string() }), output: z.string(), queue: 'mail' }),
  alerts: router({
    failed: task({ input: failedCall, output: z.object({ seen: z.string() }), queue: 'mail' }),
  }),
  /** Takes a number: no follow-up of resize may name it. */
  square: task({ input: z.number(), output: z.number() }),
});
