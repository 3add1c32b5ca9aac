import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import * as zm from 'zod/mini';
import { z as z3 } from 'zod/v3';
import { router, task, type HandlerInput, type TaskErrorCode, type TaskErrorData, type TaskInput, type TaskOutput } from '../../src/contract/index.js';

type NotZod4<F extends string> =
  `taskwire: ${F} must be a zod 4 schema (import { z } from 'zod' with zod >= 4; 'zod/v3' is not supported, 'zod/mini' is not typed)`;

describe('task() types accept zod 4 schemas as before', () => {
  it('infers input, output and declared errors from zod 4 schemas unchanged', () => {
    const t = task({
      input: z.object({ url: z.string(), width: z.number().default(200) }),
      output: z.string().transform((s) => s.length),
      errors: { NOT_FOUND: z.object({ url: z.string() }), GONE: z.null() },
    });
    expectTypeOf<TaskInput<typeof t>>().toEqualTypeOf<{ url: string; width?: number | undefined }>();
    expectTypeOf<HandlerInput<typeof t>>().toEqualTypeOf<{ url: string; width: number }>();
    expectTypeOf<TaskOutput<typeof t>>().toEqualTypeOf<number>();
    expectTypeOf<TaskErrorCode<typeof t>>().toEqualTypeOf<'NOT_FOUND' | 'GONE'>();
    expectTypeOf<TaskErrorData<typeof t, 'NOT_FOUND'>>().toEqualTypeOf<{ url: string }>();
    expectTypeOf(t.input).toEqualTypeOf<z.ZodObject<{ url: z.ZodString; width: z.ZodDefault<z.ZodNumber> }, z.core.$strip>>();
    expectTypeOf(task({ input: z.string(), output: z.string() }).errors).toEqualTypeOf<{}>();
  });

  it('still type-checks generic helpers that pass a schema type parameter through', () => {
    function withEcho<S extends z.ZodObject>(schema: S) {
      return task({ input: schema, output: schema, errors: { BAD: schema } });
    }
    const t = withEcho(z.object({ n: z.number() }));
    expectTypeOf<TaskOutput<typeof t>>().toEqualTypeOf<{ n: number }>();
    expectTypeOf<TaskErrorCode<typeof t>>().toEqualTypeOf<'BAD'>();
    router({ t });
  });
});

describe('task() types reject what is not a zod 4 schema, saying zod 4 is required', () => {
  it('lists the zod-4 message as what input, output and each error expect', () => {
    type Options = Parameters<typeof task>[0];
    expectTypeOf<Options['input']>().toEqualTypeOf<z.ZodType | NotZod4<'input'>>();
    expectTypeOf<Options['output']>().toEqualTypeOf<z.ZodType | NotZod4<'output'>>();
    expectTypeOf<NonNullable<Options['errors']>[string]>().toEqualTypeOf<z.ZodType | NotZod4<'each declared error'>>();
  });

  it('refuses zod 3 schemas, JSON Schema objects and zod/mini schemas at compile time', () => {
    // @ts-expect-error a zod 3 input
    task({ input: z3.object({ url: z3.string() }), output: z.string() });
    // @ts-expect-error a zod 3 output
    task({ input: z.string(), output: z3.number() });
    // @ts-expect-error a zod 3 error schema
    task({ input: z.string(), output: z.string(), errors: { NOT_FOUND: z3.object({}) } });
    // @ts-expect-error a JSON Schema object
    task({ input: { type: 'object', properties: {} }, output: z.string() });
    // @ts-expect-error zod/mini passes the runtime check but is not typed
    task({ input: zm.string(), output: z.string() });
  });
});
