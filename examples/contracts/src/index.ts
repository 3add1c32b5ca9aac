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
  albums: router({
    /**
     * Resizes every image of an album as sub-tasks (images.resize, run in parallel on any
     * worker, each once even if this call's worker dies), reporting progress as they finish.
     */
    process: task({
      input: z.object({ album: z.string(), urls: z.array(z.string().url()).min(1).max(500), width: z.number().int().positive() }),
      output: z.object({ album: z.string(), images: z.array(z.object({ url: z.string(), bytes: z.number() })), bytes: z.number() }),
      progress: z.object({ done: z.number(), total: z.number() }),
      queue: 'albums',
      timeoutMs: 60_000,
    }),
    /** Publishes a processed album: a follow-up (`then`) of albums.process takes its output as is. */
    publish: task({
      input: z.object({ album: z.string(), images: z.array(z.object({ url: z.string(), bytes: z.number() })), bytes: z.number() }),
      output: z.object({ page: z.string(), images: z.number() }),
      queue: 'albums',
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
