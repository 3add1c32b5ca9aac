import { contractError } from './contract-error.js';
import type { z } from 'zod';

/**
 * taskwire reads schemas through zod 4 (`_zod.def`, `safeParse`, `z.toJSONSchema`). Anything else
 * that slips past the types (a cast, plain JavaScript, a second zod copy at version 3) used to
 * pass task() and fail much later inside createWorker with "Cannot read properties of undefined
 * (reading 'def')". This file says, at task() time and at compile time, what is wrong and how
 * to get a zod 4 schema.
 */

/** How to get a zod 4 schema; ends every message about a schema that is not one. */
export const ZOD4_HINT = "taskwire requires zod 4: import { z } from 'zod' with zod >= 4 installed ('zod/v3' is not supported)";

/**
 * Whether `value` is a zod 4 schema taskwire can use. Classic zod and zod/mini schemas both carry
 * `_zod.def` and the parse methods; zod 3 schemas carry `_def` and no `_zod`. The type guard says
 * z.ZodType because the runtime uses only what mini schemas share with classic ones.
 */
export function isZod4Schema(value: unknown): value is z.ZodType {
  if (!isObjectLike(value)) return false;
  const internals = (value as { _zod?: unknown })._zod;
  return (
    isObjectLike(internals) &&
    isObjectLike((internals as { def?: unknown }).def) &&
    typeof (value as { safeParse?: unknown }).safeParse === 'function' &&
    typeof (value as { safeParseAsync?: unknown }).safeParseAsync === 'function'
  );
}

/**
 * Throws a VALIDATION error naming the schema (`input`, `output`, `error NOT_FOUND`) and what it got
 * instead, unless `value` is a zod 4 schema. `where` opens the message (`task()`).
 */
export function assertZod4Schema(value: unknown, what: string, where: string): asserts value is z.ZodType {
  if (isZod4Schema(value)) return;
  throw contractError(`${where}: ${what} is not a zod 4 schema (${describeNonSchema(value)}); ${ZOD4_HINT}`);
}

/** What a value that is not a usable zod 4 schema is, in the words a user would recognise. */
function describeNonSchema(value: unknown): string {
  if (value === undefined || value === null) return `got ${String(value)}`;
  if (!isObjectLike(value)) return `got a ${typeof value}`;
  const v = value as Record<string, unknown>;
  if (isObjectLike(v['_zod'])) return 'got a zod/v4/core schema without parse methods; use a schema from zod or zod/mini';
  if (isObjectLike(v['_def']) && typeof v['safeParse'] === 'function') return "got a zod 3 schema, from zod@3 or 'zod/v3'";
  const standard = v['~standard'];
  if (isObjectLike(standard)) {
    const vendor = (standard as { vendor?: unknown }).vendor;
    return `got a ${typeof vendor === 'string' ? vendor : 'Standard Schema'} schema`;
  }
  if ('$schema' in v || typeof v['type'] === 'string' || isObjectLike(v['properties'])) {
    return 'got a plain object that looks like JSON Schema, which taskwire does not read';
  }
  if (Array.isArray(value)) return 'got an array';
  return typeof value === 'function' ? 'got a function' : 'got a plain object';
}

function isObjectLike(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/**
 * The compile-time half: task()'s schema fields accept `S | NotZod4<'input'>`. A zod 4 schema
 * matches S as before (inference unchanged, generic wrappers still type-check); anything else
 * fails the S constraint, and the error then lists this string as what was expected, so the
 * compiler's message itself says zod 4 is required. Only classic zod is typed: taskwire's own
 * types read schemas through z.ZodType, so zod/mini schemas pass the runtime check only.
 */
export type NotZod4<Field extends string> =
  `taskwire: ${Field} must be a zod 4 schema (import { z } from 'zod' with zod >= 4; 'zod/v3' is not supported, 'zod/mini' is not typed)`;
