import { z } from 'zod';
import { router, task } from '../../../src/contract/index.js';

/** A category tree: recursion through a getter, the zod v4 way. */
const Category = z.object({
  name: z.string().min(1),
  get children(): z.ZodArray<typeof Category> {
    return z.array(Category);
  },
});

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
const Json: z.ZodType<Json> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(Json), z.record(z.string(), Json)]));

const Shape = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('circle'), radius: z.number().positive() }),
  z.object({ kind: z.literal('rect'), width: z.number(), height: z.number() }),
]);

enum Priority {
  Low = 1,
  High = 2,
}

export const contract = router({
  images: router({
    /**
     * Resizes an image and stores the result.
     * @deprecated use images.resizeV2
     */
    resize: task({
      input: z.object({
        url: z.url().describe('Where to fetch the original'),
        width: z.number().int().positive().max(10_000),
        format: z.enum(['png', 'jpeg', 'webp']).default('png'),
        quality: z.number().min(0).max(1).optional(),
      }),
      output: z.object({ url: z.string(), bytes: z.number().int(), at: z.date() }),
      errors: {
        NOT_FOUND: z.object({ url: z.string() }),
        TOO_LARGE: z.object({ limit: z.number(), actual: z.number() }).describe('The image exceeds the size limit'),
      },
      queue: 'images',
      partitions: 3,
      timeoutMs: 10_000,
      retry: { attempts: 3, backoffMs: 200, retryOn: ['TOO_LARGE'] },
      description: 'Resizes one image.',
    }),
  }),
  /** Rich values that survive the wire thanks to superjson. */
  rich: router({
    echo: task({
      input: z.object({
        when: z.date(),
        counts: z.map(z.string(), z.bigint()),
        tags: z.set(z.string()).max(10),
        big: z.bigint().positive(),
        note: z.string().nullable().optional(),
      }),
      output: z.object({
        when: z.date(),
        counts: z.map(z.string(), z.bigint()),
        tags: z.set(z.string()),
        big: z.bigint(),
        note: z.string().nullable().optional(),
      }),
    }),
    shapes: task({
      input: z.object({
        shape: Shape,
        pair: z.tuple([z.string(), z.number()]),
        rest: z.tuple([z.string()], z.boolean()),
        scores: z.record(z.string(), z.number()),
        byLevel: z.record(z.enum(['debug', 'info']), z.boolean()),
        priority: z.enum(Priority),
        id: z.templateLiteral(['user_', z.number()]),
        either: z.union([z.string(), z.number()]),
        meta: z.looseObject({ source: z.string() }),
        strict: z.strictObject({ a: z.string() }),
        tagsRO: z.array(z.string()).readonly(),
      }),
      output: z.object({ area: z.number(), label: z.literal(['small', 'large']) }),
    }),
    tree: task({
      input: z.object({ root: Category, doc: Json }),
      output: Category,
    }),
    ping: task({ input: z.void(), output: z.literal('pong') }),
    trimmed: task({
      input: z.object({ name: z.string().trim().min(2), count: z.string().transform((s) => s.length) }),
      output: z.string().transform((s) => s.length).pipe(z.number()),
    }),
  }),
  jobs: router({
    /** A long job that reports how far it got. */
    run: task({
      input: z.object({ steps: z.number().int() }),
      output: z.null(),
      progress: z.object({ pct: z.number().min(0).max(100) }),
    }),
  }),
});
