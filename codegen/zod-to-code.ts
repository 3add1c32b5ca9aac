import { z } from 'zod';
import { UnsupportedSchemaError } from './codegen-error.js';
import type { Io, NamedTypes } from './named-types.js';
import { propertyKey, quote } from './naming.js';
import { literalText } from './zod-to-ts.js';
import { checksOf, child, withoutOptional, children, isSchema, isWrapper, lazyTarget, shapeOf, valuesOf, type CheckDef, type Schema } from './zod-def.js';

/**
 * zod source that reproduces a schema closely enough to reject bad calls before they are sent.
 *
 * The rule is "never stricter than the worker": the worker validates authoritatively, so what
 * cannot be reproduced (refinements, transforms, checks after a `.trim()`-style overwrite) is
 * left out and the emitted schema is looser. Input-side schemas validate what the caller passes;
 * output-side schemas re-check results when the worker's contract differs (version skew).
 */
export interface CodeWalk {
  readonly io: Io;
  readonly named: NamedTypes;
  readonly base: string;
  readonly brands?: ReadonlyMap<string, readonly string[]>;
}

export function zodToCode(schema: Schema, walk: CodeWalk, field: string, indent = ''): string {
  if (walk.named.isNamed(schema)) {
    const declaration = walk.named.get(schema, walk.io);
    // zodToTs names every recursive schema first; reaching here without a name is a bug.
    if (!declaration) throw new Error(`codegen: recursive schema at ${field} was not named by the type walk`);
    if (declaration.codeText === undefined) {
      declaration.codeText = '';
      declaration.codeText = withBrands(schema, walk, field, '  ');
    }
    return declaration.schemaName;
  }
  return withBrands(schema, walk, field, indent);
}

function withBrands(schema: Schema, walk: CodeWalk, field: string, indent: string): string {
  const code = build(schema, walk, field, indent);
  const brands = isWrapper(schema) ? [] : (walk.brands?.get(field) ?? []);
  return code + brands.map((b) => `.brand<${quote(b)}>()`).join('');
}

function build(schema: Schema, walk: CodeWalk, field: string, indent: string): string {
  const def = schema._zod.def;
  const inner = (key = 'innerType', at = field) => zodToCode(child(schema, key), walk, at, indent);
  const coercedInput = def['coerce'] === true && walk.io === 'input';
  switch (def.type) {
    case 'string':
      return coercedInput ? 'z.unknown()' : stringCode(schema);
    case 'number':
    case 'int':
      return coercedInput ? 'z.unknown()' : numberCode(schema);
    case 'nan':
      return 'z.nan()';
    case 'boolean':
      return coercedInput ? 'z.unknown()' : 'z.boolean()';
    case 'bigint':
      return coercedInput ? 'z.unknown()' : bigintCode(schema);
    case 'date':
      return coercedInput ? 'z.unknown()' : `z.date()${chain(checksOf(schema), 'date')}`;
    case 'null':
      return 'z.null()';
    case 'undefined':
      return 'z.undefined()';
    case 'void':
      return 'z.void()';
    case 'never':
      return 'z.never()';
    case 'any':
    case 'unknown':
      return 'z.unknown()';
    case 'success':
      return walk.io === 'input' ? inner() : 'z.boolean()';
    case 'literal':
    case 'enum': {
      const values = valuesOf(schema);
      if (def.type === 'enum' && values.every((v) => typeof v === 'string')) {
        return `z.enum([${values.map((v) => literalText(v, field)).join(', ')}])`;
      }
      // Numeric and mixed enums (TypeScript `enum`s) are a set of literals.
      const list = values.map((v) => literalText(v, field));
      return list.length === 1 ? `z.literal(${list[0]})` : `z.literal([${list.join(', ')}])`;
    }
    case 'template_literal': {
      const parts = (def['parts'] as unknown[]).map((part) => (isSchema(part) ? zodToCode(part, walk, field, indent) : literalText(part, field)));
      return `z.templateLiteral([${parts.join(', ')}])`;
    }
    case 'object':
      return objectCode(schema, walk, field, indent);
    case 'array':
      return `z.array(${zodToCode(child(schema, 'element'), walk, `${field}[]`, indent)})${chain(checksOf(schema), 'array')}`;
    case 'tuple': {
      const items = children(schema, 'items').map((item, i) => zodToCode(item, walk, `${field}[${i}]`, indent));
      const rest = def['rest'];
      const restCode = isSchema(rest) ? `, ${zodToCode(rest, walk, `${field}[]`, indent)}` : '';
      return `z.tuple([${items.join(', ')}]${restCode})`;
    }
    case 'union': {
      const options = children(schema, 'options').map((option) => zodToCode(option, walk, field, indent));
      const discriminator = def['discriminator'];
      // discriminatedUnion needs object schemas it can inspect; named (lazy) options fall back.
      const allObjects = options.every((o) => /^z\.(object|strictObject|looseObject)\(/.test(o));
      return typeof discriminator === 'string' && allObjects
        ? `z.discriminatedUnion(${quote(discriminator)}, [${options.join(', ')}])`
        : `z.union([${options.join(', ')}])`;
    }
    case 'intersection':
      return `z.intersection(${inner('left')}, ${inner('right')})`;
    case 'record': {
      const key = zodToCode(child(schema, 'keyType'), walk, `${field}{key}`, indent);
      const value = zodToCode(child(schema, 'valueType'), walk, `${field}{}`, indent);
      const fn = def['mode'] === 'loose' ? 'looseRecord' : def['partial'] === true ? 'partialRecord' : 'record';
      return `z.${fn}(${key}, ${value})`;
    }
    case 'map':
      return `z.map(${inner('keyType', `${field}{key}`)}, ${inner('valueType', `${field}{}`)})${chain(checksOf(schema), 'size')}`;
    case 'set':
      return `z.set(${inner('valueType', `${field}[]`)})${chain(checksOf(schema), 'size')}`;
    case 'optional':
      return `${inner()}.optional()`;
    case 'nullable':
      return `${inner()}.nullable()`;
    case 'default':
    case 'prefault':
      // The client sends what the caller passed; only acceptance matters, so a default is "may be absent".
      return walk.io === 'input' ? `${inner()}.optional()` : zodToCode(withoutOptional(child(schema, 'innerType')), walk, field, indent);
    case 'catch':
      return walk.io === 'input' ? `${inner()}.optional()` : inner();
    case 'nonoptional':
      return `${inner()}.nonoptional()`;
    case 'readonly':
      return `${inner()}.readonly()`;
    case 'lazy':
      return zodToCode(lazyTarget(schema), walk, field, indent);
    case 'pipe':
      return walk.io === 'input' ? inner('in') : inner('out');
    case 'transform':
      if (walk.io === 'input') return 'z.unknown()';
      throw new UnsupportedSchemaError(field, 'a transform has no output type at run time; end it with .pipe(z.<type>()) so the result type is known');
    default:
      // zodToTs ran first and rejected everything else with a reason.
      throw new UnsupportedSchemaError(field, `zod type "${def.type}" is not supported by taskwire codegen`);
  }
}

function objectCode(schema: Schema, walk: CodeWalk, field: string, indent: string): string {
  const inner = `${indent}  `;
  const props = shapeOf(schema).map(([key, value]) => {
    const at = field === '' ? key : `${field}.${key}`;
    return `${inner}${propertyKey(key)}: ${zodToCode(value, walk, at, inner)},`;
  });
  const body = props.length === 0 ? '{}' : `{\n${props.join('\n')}\n${indent}}`;
  const catchall = schema._zod.def['catchall'];
  if (!isSchema(catchall)) return `z.object(${body})`;
  if (catchall._zod.def.type === 'never') return `z.strictObject(${body})`;
  if (catchall._zod.def.type === 'unknown') return `z.looseObject(${body})`;
  return `z.object(${body}).catchall(${zodToCode(catchall, walk, `${field}{}`, inner)})`;
}

/** Whether our zod's `z.<format>()` builds exactly this check (same pattern), so its nicer message can be used. */
function sameAsBuiltin(format: string, check: CheckDef): boolean {
  const make = (z as unknown as Record<string, unknown>)[format];
  if (typeof make !== 'function') return false;
  try {
    const built = (make as () => { _zod: { def: CheckDef } })()._zod.def;
    return String(built['pattern']) === String(check['pattern']) && built.check === check.check;
  } catch {
    return false;
  }
}

const NUMBER_FORMATS: Record<string, string> = {
  safeint: 'z.int()',
  int32: 'z.int32()',
  uint32: 'z.uint32()',
  float32: 'z.float32()',
  float64: 'z.float64()',
};
const BIGINT_FORMATS: Record<string, string> = { int64: 'z.int64()', uint64: 'z.uint64()' };

/** A format schema (z.email(), z.int()) is its own first check; it becomes the base call. */
function splitBase(schema: Schema, fallback: string, formats: (check: CheckDef) => string | undefined): { base: string; rest: CheckDef[] } {
  const checks = checksOf(schema);
  const first = checks[0];
  if (first !== undefined && typeof schema._zod.def['check'] === 'string') {
    const base = formats(first);
    if (base !== undefined) return { base, rest: checks.slice(1) };
  }
  return { base: fallback, rest: checks };
}

function stringCode(schema: Schema): string {
  const { base, rest } = splitBase(schema, 'z.string()', (check) => {
    const format = String(check['format']);
    return check.check === 'string_format' && sameAsBuiltin(format, check) ? `z.${format}()` : undefined;
  });
  return base + chain(rest, 'string');
}

function numberCode(schema: Schema): string {
  const { base, rest } = splitBase(schema, 'z.number()', (check) => (check.check === 'number_format' ? NUMBER_FORMATS[String(check['format'])] : undefined));
  return base + chain(rest, 'number');
}

function bigintCode(schema: Schema): string {
  const { base, rest } = splitBase(schema, 'z.bigint()', (check) => (check.check === 'bigint_format' ? BIGINT_FORMATS[String(check['format'])] : undefined));
  return base + chain(rest, 'bigint');
}

type CheckTarget = 'string' | 'number' | 'bigint' | 'date' | 'array' | 'size';

function valueCode(value: unknown): string {
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'Infinity' : '-Infinity';
  return String(value);
}

/**
 * Method calls reproducing the checks zod can describe. Stops at the first overwrite check
 * (`.trim()`, `.toLowerCase()`): later checks see the rewritten value, which the client never
 * computes, so keeping them could reject calls the worker accepts.
 */
function chain(checks: readonly CheckDef[], target: CheckTarget): string {
  let out = '';
  for (const check of checks) {
    if (check.check === 'overwrite') break;
    out += checkCode(check, target);
  }
  return out;
}

function checkCode(check: CheckDef, target: CheckTarget): string {
  switch (check.check) {
    case 'min_length':
      return `.min(${valueCode(check['minimum'])})`;
    case 'max_length':
      return `.max(${valueCode(check['maximum'])})`;
    case 'length_equals':
      return `.length(${valueCode(check['length'])})`;
    case 'min_size':
      return `.min(${valueCode(check['minimum'])})`;
    case 'max_size':
      return `.max(${valueCode(check['maximum'])})`;
    case 'size_equals':
      return `.size(${valueCode(check['size'])})`;
    case 'greater_than': {
      const value = valueCode(check['value']);
      if (target === 'date') return check['inclusive'] ? `.min(${value})` : `.check(z.gt(${value}))`;
      return check['inclusive'] ? `.gte(${value})` : `.gt(${value})`;
    }
    case 'less_than': {
      const value = valueCode(check['value']);
      if (target === 'date') return check['inclusive'] ? `.max(${value})` : `.check(z.lt(${value}))`;
      return check['inclusive'] ? `.lte(${value})` : `.lt(${value})`;
    }
    case 'multiple_of':
      return `.multipleOf(${valueCode(check['value'])})`;
    case 'number_format': {
      const format = String(check['format']);
      if (format === 'safeint') return '.int()';
      const make = NUMBER_FORMATS[format];
      return make === undefined ? '' : `.check(${make})`;
    }
    case 'bigint_format': {
      const make = BIGINT_FORMATS[String(check['format'])];
      return make === undefined ? '' : `.check(${make})`;
    }
    case 'string_format':
      return target === 'string' ? stringFormatCode(check) : '';
    default:
      // custom (refine/superRefine), property, mime_type...: the worker still checks them.
      return '';
  }
}

function stringFormatCode(check: CheckDef): string {
  const format = String(check['format']);
  switch (format) {
    case 'regex':
      return check['pattern'] instanceof RegExp ? `.regex(${String(check['pattern'])})` : '';
    case 'lowercase':
      return '.lowercase()';
    case 'uppercase':
      return '.uppercase()';
    case 'includes': {
      const position = typeof check['position'] === 'number' ? `, { position: ${check['position']} }` : '';
      return `.includes(${quote(String(check['includes']))}${position})`;
    }
    case 'starts_with':
      return `.startsWith(${quote(String(check['prefix']))})`;
    case 'ends_with':
      return `.endsWith(${quote(String(check['suffix']))})`;
    default:
      if (sameAsBuiltin(format, check)) return `.check(z.${format}())`;
      // Formats with options (uuid versions, datetime offsets...) are reproduced by their pattern.
      if (check['pattern'] instanceof RegExp) return `.regex(${String(check['pattern'])})`;
      return '';
  }
}
