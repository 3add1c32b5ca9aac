import { createHash } from 'node:crypto';
import type { AnyTask } from './task.js';
import { canonicalJson } from './canonical-json.js';
import { describeSchema } from './json-schema.js';

/**
 * A short hash of a task's input, output and declared errors, over their JSON Schema
 * (json-schema.ts, without descriptions or refinements: refinement closures are code, and the
 * same code built by two toolchains prints differently). Client and worker compare it to tell
 * "same contract" from "changed contract"; what a mismatch changes at run time is decided in
 * compatibility.ts.
 */
export function fingerprintTask(t: AnyTask): string {
  const errors: Record<string, unknown> = {};
  for (const code of Object.keys(t.errors).sort()) {
    const schema = t.errors[code];
    if (schema) errors[code] = describeSchema(schema, 'output');
  }
  const text = canonicalJson({ input: describeSchema(t.input, 'input'), output: describeSchema(t.output, 'output'), errors });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
