import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AnyTask } from './task.js';
import { canonicalJson } from './canonical-json.js';

/**
 * Describes a schema as canonical JSON. JSON Schema is used because zod can emit it and it
 * ignores things that do not change the wire shape (refinement closures, descriptions are kept
 * out below); types JSON Schema cannot express (Date, BigInt, Map, Set) are tagged by zod type
 * so changing `z.date()` to `z.string()` still changes the fingerprint.
 */
function describe(schema: z.ZodType, io: 'input' | 'output'): unknown {
  try {
    return z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
      cycles: 'ref',
      reused: 'inline',
      override: (ctx) => {
        const json = ctx.jsonSchema as Record<string, unknown>;
        delete json['description'];
        const type = (ctx.zodSchema as { _zod: { def: { type: string } } })._zod.def.type;
        if (type === 'date' || type === 'bigint' || type === 'map' || type === 'set' || type === 'undefined' || type === 'symbol') {
          json['x-zod'] = type;
        }
      },
    });
  } catch {
    return { 'x-zod': (schema as unknown as { _zod: { def: { type: string } } })._zod.def.type };
  }
}

/**
 * A short hash of a task's input, output and declared errors. Client and worker compare it to
 * tell "same contract" from "changed contract"; a mismatch alone is not an error (compatible
 * changes are allowed), it only sharpens the error when validation then fails.
 */
export function fingerprintTask(t: AnyTask): string {
  const errors: Record<string, unknown> = {};
  for (const code of Object.keys(t.errors).sort()) {
    const schema = t.errors[code];
    if (schema) errors[code] = describe(schema, 'output');
  }
  const text = canonicalJson({ input: describe(t.input, 'input'), output: describe(t.output, 'output'), errors });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
