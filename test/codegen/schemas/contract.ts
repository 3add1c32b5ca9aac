import { z } from 'zod';
import { router, task } from '../../../src/contract/index.js';

enum Color {
  Red = 'red',
  Green = 'green',
}

export const contract = router({
  strings: task({
    input: z.object({
      email: z.email(),
      emailChecked: z.string().email().max(100),
      uuid: z.uuid(),
      uuid4: z.uuidv4(),
      when: z.iso.datetime({ offset: true }),
      slug: z.string().regex(/^[a-z0-9-]+$/).min(1).max(64),
      lower: z.string().lowercase().startsWith('x').endsWith('y').includes('z'),
      trimmed: z.string().trim().min(1).max(3),
      refined: z.string().refine((s) => s.length % 2 === 0, 'even length'),
      coerced: z.coerce.number().int(),
      exact: z.string().length(4),
      nullish: z.string().nullish(),
      color: z.enum(Color),
      oneOf: z.literal(['a', 'b', 1, true]),
    }),
    output: z.object({ ok: z.boolean() }),
  }),
  numbers: task({
    input: z.object({
      int: z.int(),
      int32: z.int32(),
      range: z.number().gte(-1).lt(1),
      step: z.number().multipleOf(5),
      big: z.bigint().min(0n).max(100n),
      big64: z.int64(),
      day: z.date().min(new Date('2020-01-01T00:00:00Z')).max(new Date('2030-01-01T00:00:00Z')),
      nan: z.nan(),
    }),
    output: z.void(),
  }),
  wrappers: task({
    input: z.object({
      withDefault: z.string().default('x'),
      withPrefault: z.number().prefault(1),
      withCatch: z.number().catch(0),
      required: z.string().optional().nonoptional(),
      ro: z.map(z.string(), z.number()).readonly(),
      roSet: z.set(z.number()).readonly(),
      roObject: z.object({ a: z.string() }).readonly(),
      preprocessed: z.preprocess((v) => String(v), z.string()),
      anything: z.any(),
      unknownValue: z.unknown(),
    }),
    output: z.object({
      withDefault: z.string().default('x'),
      optionalDefault: z.string().optional().default('y'),
      piped: z.string().pipe(z.string().min(1)),
      success: z.success(z.string()),
    }),
  }),
  containers: task({
    input: z.object({
      optionalTuple: z.tuple([z.string(), z.number().optional()]),
      partial: z.partialRecord(z.enum(['a', 'b']), z.number()),
      loose: z.looseRecord(z.string().regex(/^x-/), z.string()),
      numberKeys: z.record(z.number(), z.string()),
      templateKeys: z.record(z.templateLiteral(['id_', z.number()]), z.string()),
      catchall: z.object({ a: z.string() }).catchall(z.number()),
      empty: z.object({}),
      both: z.intersection(z.object({ a: z.string() }), z.object({ b: z.number() })),
      sized: z.array(z.string()).min(1).max(3),
      sizedMap: z.map(z.string(), z.string()).max(2),
      nested: z.templateLiteral([z.enum(['a', 'b']), '-', z.templateLiteral(['v', z.number()])]),
      'quoted-key': z.string(),
    }),
    output: z.unknown(),
  }),
});
