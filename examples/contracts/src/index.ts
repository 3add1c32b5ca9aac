/**
 * The shared contract: what can be called, with which arguments, results and errors.
 * Pure data — zod schemas and options. Importing it pulls in neither Redis nor worker code.
 */
import { z } from 'zod';
import { router, task } from 'taskwire/contract';

export const contract = router({
  images: router({
    /** Resizes an image and reports where the result went. */
    resize: task({
      input: z.object({
        url: z.string().url().describe('Source image URL'),
        width: z.number().int().positive().max(10_000),
      }),
      output: z.object({ url: z.string(), bytes: z.number(), at: z.date() }),
      errors: { NOT_FOUND: z.object({ url: z.string() }) },
      queue: 'images',
      timeoutMs: 30_000,
    }),
  }),
  reports: router({
    /** Sums amounts per customer over a period; BigInt totals, Dates and Maps cross the wire. */
    totals: task({
      input: z.object({ from: z.date(), to: z.date(), customers: z.array(z.string()).min(1) }),
      output: z.object({ period: z.tuple([z.date(), z.date()]), totals: z.map(z.string(), z.bigint()) }),
      retry: { attempts: 3, backoffMs: 200 },
    }),
  }),
});

export type Contract = typeof contract;
