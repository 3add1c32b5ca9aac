import { z } from 'zod';

/**
 * The synchronous parse alone: undefined when the schema needs zod's async path (then call
 * `schema.safeParseAsync`). Callers on the hot path use it to stay free of promises; zod's async
 * path allocates promises per node, and only schemas with async refinements or transforms need it.
 */
export function parseSync(schema: z.ZodType, value: unknown): z.ZodSafeParseResult<unknown> | undefined {
  try {
    return schema.safeParse(value);
  } catch (err) {
    // A value nested deeper than a recursive schema's walk can go (zod recurses): a failed check
    // with a reason, never a thrown RangeError that the call path would not expect.
    if (err instanceof RangeError) return tooDeep();
    // zod throws "Encountered Promise during synchronous parse" for async schemas.
    return undefined;
  }
}

function tooDeep(): z.ZodSafeParseResult<unknown> {
  return { success: false, error: new z.ZodError([{ code: 'custom', message: 'nested too deeply to check', path: [], input: undefined }]) };
}

/** Synchronous path first, async only where the schema needs it. */
export async function parseWith(schema: z.ZodType, value: unknown): Promise<z.ZodSafeParseResult<unknown>> {
  return parseSync(schema, value) ?? schema.safeParseAsync(value);
}

/** One line naming every failing field: `width: Too small; url: Invalid URL`. */
export function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
