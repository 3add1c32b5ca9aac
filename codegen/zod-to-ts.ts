import { UnsupportedSchemaError } from './codegen-error.js';
import type { Io, NamedTypes } from './named-types.js';
import { jsDoc, pascalCase, propertyKey, quote } from './naming.js';
import { child, children, withoutOptional, describedAs, isSchema, isWrapper, lazyTarget, shapeOf, valuesOf, type Schema } from './zod-def.js';

/** Where a walk happens: which side, the shared names, and the prefix for names it invents. */
export interface TypeWalk {
  readonly io: Io;
  readonly named: NamedTypes;
  /** PascalCase task name; recursive schemas found below are named `${base}${Field}`. */
  readonly base: string;
  /** Brands found by the type checker, by field path (zod forgets `.brand()` at run time). */
  readonly brands?: ReadonlyMap<string, readonly string[]>;
}

/** A literal value as TypeScript source (types and expressions spell them alike). */
export function literalText(value: unknown, field: string): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'number';
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'undefined';
    default:
      if (value === null) return 'null';
      throw new UnsupportedSchemaError(field, `literal ${String(value)} cannot be written in generated code`);
  }
}

/** Wraps a type so a postfix (`[]`, `?`) or `&` applies to all of it. */
export function parenthesized(text: string): string {
  if (/^[A-Za-z_$][\w$.]*$|^'[^']*'$|^-?\d[\w.]*$/.test(text)) return text;
  return closesAtEnd(text) ? text : `(${text})`;
}

/** Whether the bracket opening the text (`{`, `[`, or a generic's `<`) is closed by its last character. */
function closesAtEnd(text: string): boolean {
  const start = text.search(/[{[<]/);
  if (start < 0 || (start > 0 && !/^[A-Za-z_$][\w$.]*$/.test(text.slice(0, start)))) return false;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[' || c === '<' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === '>' || c === ')') depth--;
    else if (c === "'" || c === '`') i = text.indexOf(c, i + 1);
    if (depth === 0) return i === text.length - 1;
  }
  return false;
}

function orUndefined(text: string): string {
  return text === 'undefined' || text === 'unknown' || text.endsWith(' | undefined') ? text : `${text} | undefined`;
}

function union(parts: readonly string[]): string {
  return [...new Set(parts)].join(' | ');
}

/** Whether an object key may be left out on this side. */
export function isOptionalKey(schema: Schema, io: Io): boolean {
  return io === 'input' ? schema._zod.optin !== undefined : schema._zod.optout === 'optional';
}

/**
 * TypeScript type text for a zod schema, as `z.input` (io 'input') or `z.output` (io 'output')
 * would infer it. Object types span lines, indented from `indent`. Throws
 * UnsupportedSchemaError for what a standalone file cannot express.
 */
export function zodToTs(schema: Schema, walk: TypeWalk, field: string, indent = ''): string {
  if (walk.named.isNamed(schema)) {
    const declaration = walk.named.declare(schema, walk.io, `${walk.base}${pascalCase(field)}`);
    if (declaration.typeText === undefined) {
      declaration.typeText = ''; // Placeholder: the body refers to itself by name.
      declaration.typeText = body(schema, walk, field, '');
    }
    return declaration.typeName;
  }
  return body(schema, walk, field, indent);
}

function body(schema: Schema, walk: TypeWalk, field: string, indent: string): string {
  const text = shape(schema, walk, field, indent);
  const brands = isWrapper(schema) ? undefined : walk.brands?.get(field);
  return brands?.length ? `${parenthesized(text)} & ${brands.map((b) => `z.$brand<${quote(b)}>`).join(' & ')}` : text;
}

function shape(schema: Schema, walk: TypeWalk, field: string, indent: string): string {
  const def = schema._zod.def;
  const inner = (key = 'innerType', at = field) => zodToTs(child(schema, key), walk, at, indent);
  switch (def.type) {
    case 'string':
      return def['coerce'] && walk.io === 'input' ? 'unknown' : 'string';
    case 'number':
    case 'int':
    case 'nan':
      return def['coerce'] && walk.io === 'input' ? 'unknown' : 'number';
    case 'boolean':
      return def['coerce'] && walk.io === 'input' ? 'unknown' : 'boolean';
    case 'bigint':
      return def['coerce'] && walk.io === 'input' ? 'unknown' : 'bigint';
    case 'date':
      return def['coerce'] && walk.io === 'input' ? 'unknown' : 'Date';
    case 'null':
      return 'null';
    case 'undefined':
      return 'undefined';
    case 'void':
      return 'void';
    case 'never':
      return 'never';
    case 'any':
    case 'unknown':
      // No `any` in generated code: the caller narrows what it gets.
      return 'unknown';
    case 'success':
      return walk.io === 'input' ? inner() : 'boolean';
    case 'literal':
    case 'enum':
      return union(valuesOf(schema).map((v) => literalText(v, field)));
    case 'template_literal':
      return `\`${templateParts(schema, walk, field)}\``;
    case 'object':
      return objectType(schema, walk, field, indent);
    case 'array': {
      const element = zodToTs(child(schema, 'element'), walk, `${field}[]`, indent);
      return `${parenthesized(element)}[]`;
    }
    case 'tuple':
      return tupleType(schema, walk, field, indent);
    case 'union':
      return union(children(schema, 'options').map((option) => zodToTs(option, walk, field, indent)));
    case 'intersection':
      return `${parenthesized(inner('left'))} & ${parenthesized(inner('right'))}`;
    case 'record':
      return recordType(schema, walk, field, indent);
    case 'map':
      return `Map<${inner('keyType', `${field}{key}`)}, ${inner('valueType', `${field}{}`)}>`;
    case 'set':
      return `Set<${inner('valueType', `${field}[]`)}>`;
    case 'optional':
      return orUndefined(inner());
    case 'nullable': {
      const text = inner();
      return text.endsWith(' | undefined') ? `${text.slice(0, -' | undefined'.length)} | null | undefined` : `${text} | null`;
    }
    case 'default':
    case 'prefault':
      return walk.io === 'input' ? orUndefined(inner()) : zodToTs(withoutOptional(child(schema, 'innerType')), walk, field, indent);
    case 'catch':
      // At run time anything is accepted (and replaced); the type stays the inner one.
      return walk.io === 'input' ? orUndefined(inner()) : inner();
    case 'nonoptional': {
      const innerSchema = child(schema, 'innerType');
      const stripped = withoutOptional(innerSchema);
      const text = zodToTs(stripped, walk, field, indent);
      return stripped === innerSchema ? `Exclude<${text}, undefined>` : text;
    }
    case 'readonly':
      return readonlyType(child(schema, 'innerType'), inner());
    case 'lazy':
      return zodToTs(lazyTarget(schema), walk, field, indent);
    case 'pipe':
      return walk.io === 'input' ? inner('in') : inner('out');
    case 'transform':
      if (walk.io === 'input') return 'unknown';
      throw new UnsupportedSchemaError(field, 'a transform has no output type at run time; end it with .pipe(z.<type>()) so the result type is known');
    case 'custom':
      throw new UnsupportedSchemaError(field, 'z.custom()/z.instanceof() types exist only in TypeScript and cannot be reproduced; use a structural schema');
    case 'function':
      throw new UnsupportedSchemaError(field, 'functions cannot cross the wire (z.function())');
    case 'promise':
      throw new UnsupportedSchemaError(field, 'promises cannot cross the wire (z.promise())');
    case 'symbol':
      throw new UnsupportedSchemaError(field, 'symbols cannot cross the wire (z.symbol())');
    case 'file':
      throw new UnsupportedSchemaError(field, 'files cannot cross the wire (z.file()); send bytes or a URL');
    default:
      throw new UnsupportedSchemaError(field, `zod type "${def.type}" is not supported by taskwire codegen`);
  }
}

function objectType(schema: Schema, walk: TypeWalk, field: string, indent: string): string {
  const inner = `${indent}  `;
  const lines: string[] = [];
  for (const [key, value] of shapeOf(schema)) {
    const at = field === '' ? key : `${field}.${key}`;
    const optional = isOptionalKey(value, walk.io);
    const text = zodToTs(value, walk, at, inner);
    lines.push(`${jsDoc(describedAs(value), inner)}${inner}${propertyKey(key)}${optional ? '?' : ''}: ${optional ? orUndefined(text) : text};`);
  }
  const catchall = schema._zod.def['catchall'];
  let rest: string | undefined;
  if (isSchema(catchall) && catchall._zod.def.type !== 'never') {
    const text = zodToTs(catchall, walk, `${field}{}`, inner);
    if (text === 'unknown') lines.push(`${inner}[key: string]: unknown;`);
    else rest = `{ [key: string]: ${text} }`;
  }
  // zod types an empty object as Record<string, never>; `{}` would mean "anything but null".
  const object = lines.length === 0 ? 'Record<string, never>' : `{\n${lines.join('\n')}\n${indent}}`;
  return rest === undefined ? object : `${object} & ${rest}`;
}

function tupleType(schema: Schema, walk: TypeWalk, field: string, indent: string): string {
  const items = children(schema, 'items').map((item, i) => {
    const text = zodToTs(item, walk, `${field}[${i}]`, indent);
    return isOptionalKey(item, walk.io) ? `${parenthesized(orUndefined(text))}?` : text;
  });
  const rest = schema._zod.def['rest'];
  if (isSchema(rest)) items.push(`...${parenthesized(zodToTs(rest, walk, `${field}[]`, indent))}[]`);
  return `[${items.join(', ')}]`;
}

/**
 * Records are written as index signatures and mapped types, not `Record<K, V>`: `Record` is a
 * type alias, and a recursive alias may not refer to itself through another alias (TS2456).
 */
function recordType(schema: Schema, walk: TypeWalk, field: string, indent: string): string {
  const keySchema = child(schema, 'keyType');
  const key = zodToTs(keySchema, walk, `${field}{key}`, indent);
  const value = zodToTs(child(schema, 'valueType'), walk, `${field}{}`, indent);
  if (keySchema._zod.values === undefined) return `{ [key: ${key}]: ${value} }`;
  const partial = schema._zod.def['partial'] === true ? '?' : '';
  return `{ [K in ${key}]${partial}: ${value} }`;
}

function readonlyType(innerSchema: Schema, text: string): string {
  switch (innerSchema._zod.def.type) {
    case 'array':
      return `readonly ${text}`;
    case 'map':
      return `Readonly${text}`;
    case 'set':
      return `Readonly${text}`;
    case 'object':
    case 'tuple':
    case 'record':
      return `Readonly<${text}>`;
    default:
      return text;
  }
}

/** The inside of a template literal type: string parts escaped, schema parts as `${type}`. */
function templateParts(schema: Schema, walk: TypeWalk, field: string): string {
  const parts = schema._zod.def['parts'] as unknown[];
  return parts
    .map((part) => {
      if (isSchema(part)) {
        const def = part._zod.def;
        if (def.type === 'template_literal') return templateParts(part, walk, field);
        return `\${${zodToTs(part, walk, field)}}`;
      }
      return String(part).replace(/[`\\]/g, '\\$&').replace(/\$\{/g, '\\${');
    })
    .join('');
}
