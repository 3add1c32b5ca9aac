import { z } from 'zod';

/** A JSON Schema document as zod writes it (a plain JSON value). */
export type JsonSchema = Record<string, unknown>;

export interface DescribeOptions {
  /** Keep `description` texts (schema files for people); fingerprints leave them out. */
  descriptions?: boolean;
  /**
   * Mark each custom refinement (`refine`, `superRefine`, `check(fn)`) with the text of its
   * function as `x-refine`: JSON Schema cannot say what a refinement checks, and without this
   * two versions that differ only in one look equal (compatibility.ts compares the texts).
   */
  refinements?: boolean;
}

/** Types JSON Schema cannot express: tagged so that `z.date()` → `z.string()` is still a change. */
const TAGGED = new Set(['date', 'bigint', 'map', 'set', 'undefined', 'symbol']);

interface ZodInternals {
  _zod: { def: { type: string; checks?: Array<{ _zod: { def: { check?: string; fn?: unknown } } }> } };
}

/**
 * A zod schema as JSON Schema, from zod's own converter (`z.toJSONSchema`). `io` picks the side:
 * `input` is what the schema accepts, `output` what parsing it yields (defaults filled, unknown
 * keys stripped). Used by fingerprints (fingerprint.ts: the exact options there are part of every
 * fingerprint and must not change), by compatibility checks and by `taskwire schema`.
 */
export function describeSchema(schema: z.ZodType, io: 'input' | 'output', options: DescribeOptions = {}): JsonSchema {
  try {
    return z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
      cycles: 'ref',
      reused: 'inline',
      override: (ctx) => {
        const json = ctx.jsonSchema as Record<string, unknown>;
        if (!options.descriptions) delete json['description'];
        const def = (ctx.zodSchema as unknown as ZodInternals)._zod.def;
        if (TAGGED.has(def.type)) json['x-zod'] = def.type;
        if (options.refinements) {
          const texts = (def.checks ?? []).filter((c) => c._zod.def.check === 'custom').map((c) => String(c._zod.def.fn));
          if (texts.length > 0) json['x-refine'] = texts;
        }
      },
    }) as JsonSchema;
  } catch {
    return { 'x-zod': (schema as unknown as ZodInternals)._zod.def.type };
  }
}
