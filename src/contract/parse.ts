import type { z } from 'zod';

/**
 * The synchronous parse alone: undefined when the schema needs zod's async path (then call
 * `schema.safeParseAsync`). Callers on the hot path use it to stay free of promises; zod's async
 * path allocates promises per node, and only schemas with async refinements or transforms need it.
 */
export function parseSync(schema: z.ZodType, value: unknown): z.ZodSafeParseResult<unknown> | undefined {
  try {
    return schema.safeParse(value);
  } catch {
    // zod throws "Encountered Promise during synchronous parse" for async schemas.
    return undefined;
  }
}

/** Synchronous path first, async only where the schema needs it. */
export async function parseWith(schema: z.ZodType, value: unknown): Promise<z.ZodSafeParseResult<unknown>> {
  return parseSync(schema, value) ?? schema.safeParseAsync(value);
}

/** One line naming every failing field: `width: Too small; url: Invalid URL`. */
export function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
