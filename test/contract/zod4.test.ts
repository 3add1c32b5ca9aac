import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as zm from 'zod/mini';
import { z as z3 } from 'zod/v3';
import { fingerprintTask, isTaskwireError, router, routesOf, task } from '../../src/contract/index.js';

// The casts stand for what the issue reports: a schema that slipped past the types (a cast, an
// `any`, plain JavaScript). task() must catch it at runtime with a message that says what to do.
const asZod = (schema: unknown): z.ZodType => schema as z.ZodType;

const jsonSchema = { type: 'object', properties: { url: { type: 'string' } }, required: ['url'] };

function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    // One error family: a contract mistake is a TaskwireError with code VALIDATION.
    expect(isTaskwireError(err) && err.code).toBe('VALIDATION');
    return (err as Error).message;
  }
  throw new Error('expected a throw');
}

describe('task() accepts only zod 4 schemas', () => {
  it('rejects a zod 3 schema as input, names the field, and says zod 4 is required and how to get it', () => {
    const message = thrown(() => task({ input: asZod(z3.object({ url: z3.string() })), output: z.string() }));
    expect(message).toMatch(/^task\(\): input is not a zod 4 schema/);
    expect(message).toContain('zod 3 schema');
    expect(message).toContain("import { z } from 'zod'");
    expect(message).toContain("'zod/v3' is not supported");
  });

  it('rejects a JSON-Schema object as output, and says that it looks like JSON Schema', () => {
    const message = thrown(() => task({ input: z.string(), output: asZod(jsonSchema) }));
    expect(message).toMatch(/^task\(\): output is not a zod 4 schema/);
    expect(message).toContain('JSON Schema');
    expect(message).toContain("import { z } from 'zod'");
  });

  it('names the declared error whose data schema is not zod 4', () => {
    const message = thrown(() =>
      task({ input: z.string(), output: z.string(), errors: { TOO_LARGE: z.object({}), NOT_FOUND: asZod(z3.object({})) } }),
    );
    expect(message).toMatch(/^task\(\): error NOT_FOUND is not a zod 4 schema/);
  });

  it('says what it got when input is missing, a plain value or another library\'s schema', () => {
    expect(thrown(() => task({ input: asZod(undefined), output: z.string() }))).toMatch(/^task\(\): input is not a zod 4 schema \(got undefined\)/);
    expect(thrown(() => task({ input: z.string(), output: asZod('string') }))).toMatch(/^task\(\): output is not a zod 4 schema \(got a string\)/);
    const valibotLike = { '~standard': { version: 1, vendor: 'valibot', validate: () => ({ value: 1 }) } };
    expect(thrown(() => task({ input: asZod(valibotLike), output: z.string() }))).toMatch(/got a valibot schema/);
  });

  it('refuses errors that are not an object of code to schema', () => {
    expect(thrown(() => task({ input: z.string(), output: z.string(), errors: asZod([z.string()]) as never }))).toMatch(
      /^task\(\): errors must be an object mapping each error code to a zod 4 schema/,
    );
  });

  it('accepts zod 4 classic and zod/mini schemas, and a mini schema gets a fingerprint and a route', () => {
    expect(() => task({ input: z.object({ url: z.url() }), output: z.number(), errors: { GONE: z.null() } })).not.toThrow();
    const mini = task({ input: asZod(zm.object({ url: zm.string() })), output: asZod(zm.number()), errors: { GONE: asZod(zm.null()) } });
    expect(fingerprintTask(mini)).toMatch(/^[0-9a-f]{16}$/);
    expect(routesOf(router({ images: router({ thumbnail: mini }) })).get('images.thumbnail')?.errorCodes).toEqual(['GONE']);
  });
});
