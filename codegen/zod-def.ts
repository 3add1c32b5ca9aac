/**
 * The one place that reads zod v4 internals (`schema._zod.def`). Everything is read
 * structurally, never with `instanceof`: the contract may have been built with another copy of
 * zod than the one taskwire ships, and both must work.
 */

/** A zod v4 schema as far as the generator needs it. */
export interface Schema {
  readonly _zod: {
    readonly def: Def;
    readonly optin?: 'optional' | 'defaulted' | undefined;
    readonly optout?: 'optional' | undefined;
    readonly values?: ReadonlySet<unknown> | undefined;
  };
}

/** A check as stored in `def.checks` (or the schema itself, for format schemas like z.email()). */
export interface CheckDef {
  readonly check: string;
  readonly [key: string]: unknown;
}

export interface Def {
  readonly type: string;
  readonly checks?: ReadonlyArray<{ readonly _zod: { readonly def: CheckDef } }>;
  readonly [key: string]: unknown;
}

export function isSchema(value: unknown): value is Schema {
  if (typeof value !== 'object' || value === null) return false;
  const internals = (value as { _zod?: unknown })._zod;
  return typeof internals === 'object' && internals !== null && typeof (internals as { def?: { type?: unknown } }).def?.type === 'string';
}

export function defOf(schema: Schema): Def {
  return schema._zod.def;
}

/** A child schema stored under `key` of the def; throws if zod's layout changed under us. */
export function child(schema: Schema, key: string): Schema {
  const value = schema._zod.def[key];
  if (!isSchema(value)) throw new Error(`zod ${schema._zod.def.type} schema has no "${key}" schema (unsupported zod version?)`);
  return value;
}

export function children(schema: Schema, key: string): Schema[] {
  const value = schema._zod.def[key];
  if (!Array.isArray(value) || !value.every(isSchema)) {
    throw new Error(`zod ${schema._zod.def.type} schema has no "${key}" list (unsupported zod version?)`);
  }
  return value;
}

/** Object shape in declaration order. Reading a key runs getter-recursion getters. */
export function shapeOf(schema: Schema): Array<[string, Schema]> {
  const shape = schema._zod.def['shape'] as Record<string, unknown>;
  return Object.keys(shape).map((key) => {
    const value = shape[key];
    if (!isSchema(value)) throw new Error(`object property "${key}" is not a zod schema`);
    return [key, value];
  });
}

/**
 * The target of z.lazy(). zod caches it in `_zod.innerType`; the raw getter may build a new
 * object per call, and recursion detection needs the same object each time.
 */
export function lazyTarget(schema: Schema): Schema {
  const cached: unknown = (schema._zod as { innerType?: unknown }).innerType;
  if (isSchema(cached)) return cached;
  const getter = schema._zod.def['getter'];
  if (typeof getter !== 'function') throw new Error('z.lazy() schema has no getter');
  const inner: unknown = (getter as () => unknown)();
  if (!isSchema(inner)) throw new Error('z.lazy() getter did not return a zod schema');
  return inner;
}

/**
 * The checks of a schema in order. Format schemas (z.email(), z.int()) are checks themselves:
 * their own def carries `check`, so they come first.
 */
export function checksOf(schema: Schema): CheckDef[] {
  const def = schema._zod.def;
  const out: CheckDef[] = [];
  if (typeof def['check'] === 'string') out.push(def as unknown as CheckDef);
  for (const c of def.checks ?? []) out.push(c._zod.def);
  return out;
}

/** Literal values of z.literal / z.enum, in declaration order. */
export function valuesOf(schema: Schema): unknown[] {
  const def = schema._zod.def;
  if (def.type === 'literal') return [...(def['values'] as unknown[])];
  if (def.type === 'enum') {
    // Native TS enums carry reverse mappings (1 -> "B"); zod's `values` set has the real ones.
    const values = schema._zod.values;
    if (values) return [...values];
    return Object.values(def['entries'] as Record<string, unknown>);
  }
  throw new Error(`zod ${def.type} schema has no literal values`);
}

interface Meta {
  readonly id?: unknown;
  readonly title?: unknown;
  readonly description?: unknown;
}

/**
 * Metadata from zod's global registry (`.describe()`, `.meta()`). zod keeps that registry on
 * globalThis, so it is shared by every zod copy in the process.
 */
export function metaOf(schema: Schema): Meta | undefined {
  const registry = (globalThis as { __zod_globalRegistry?: { get(s: unknown): Meta | undefined } }).__zod_globalRegistry;
  return registry?.get(schema);
}

export function descriptionOf(schema: Schema): string | undefined {
  const description = metaOf(schema)?.description;
  return typeof description === 'string' && description.trim() !== '' ? description : undefined;
}

/** Wrappers that keep the meaning of their inner schema (for finding a description). */
const TRANSPARENT = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional']);

/** The description of a schema or of the schema it wraps (`.describe('x').optional()`). */
export function describedAs(schema: Schema): string | undefined {
  let current: Schema | undefined = schema;
  for (let depth = 0; current && depth < 8; depth++) {
    const own = descriptionOf(current);
    if (own) return own;
    current = TRANSPARENT.has(current._zod.def.type) ? child(current, 'innerType') : undefined;
  }
  return undefined;
}

/** Every schema directly inside this one, for graph walks (cycle detection). */
export function childSchemas(schema: Schema): Schema[] {
  const def = schema._zod.def;
  switch (def.type) {
    case 'object': {
      const out = shapeOf(schema).map(([, s]) => s);
      if (isSchema(def['catchall'])) out.push(def['catchall']);
      return out;
    }
    case 'array':
      return [child(schema, 'element')];
    case 'tuple':
      return [...children(schema, 'items'), ...(isSchema(def['rest']) ? [def['rest']] : [])];
    case 'union':
      return children(schema, 'options');
    case 'intersection':
      return [child(schema, 'left'), child(schema, 'right')];
    case 'record':
    case 'map':
      return [child(schema, 'keyType'), child(schema, 'valueType')];
    case 'set':
      return [child(schema, 'valueType')];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
    case 'success':
    case 'promise':
      return [child(schema, 'innerType')];
    case 'pipe':
      return [child(schema, 'in'), child(schema, 'out')];
    case 'lazy':
      return [lazyTarget(schema)];
    default:
      return [];
  }
}

/** Strips `.optional()` layers: zod drops undefined from the output of `.default()` and `.nonoptional()`. */
export function withoutOptional(schema: Schema): Schema {
  let current = schema;
  while (current._zod.def.type === 'optional') current = child(current, 'innerType');
  return current;
}

/** Schemas that only wrap another; a brand belongs to the schema inside, not to these. */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional', 'lazy', 'pipe', 'success']);

export function isWrapper(schema: Schema): boolean {
  return WRAPPERS.has(schema._zod.def.type);
}
