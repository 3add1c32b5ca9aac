import type { z } from 'zod';

/**
 * Parses with the synchronous path first: zod's async path allocates promises per node and
 * shows in profiles, and only schemas with async refinements or transforms need it.
 */
export async function parseWith(schema: z.ZodType, value: unknown): Promise<z.ZodSafeParseResult<unknown>> {
  try {
    return schema.safeParse(value);
  } catch {
    // zod throws "Encountered Promise during synchronous parse" for async schemas.
    return schema.safeParseAsync(value);
  }
}

/**
 * The synchronous parse alone: undefined when the schema needs the async path (then use
 * parseWith). Callers on the hot path use it to stay free of promises.
 */
export function parseSync(schema: z.ZodType, value: unknown): z.ZodSafeParseResult<unknown> | undefined {
  try {
    return schema.safeParse(value);
  } catch {
    return undefined;
  }
}

/** One line naming every failing field: `width: Too small; url: Invalid URL`. */
export function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
