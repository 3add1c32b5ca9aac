import { Node, type SourceFile, type Type } from 'ts-morph';

/** Brands by task path, then by field path as the schema walkers spell it ('input.id', 'output.items[]'). */
export type BrandMap = Map<string, Map<string, string[]>>;

/**
 * `.brand<'UserId'>()` exists only in TypeScript: zod keeps no trace of it at run time. So the
 * brands are read from the contract's static types with the type checker and handed to the
 * walkers by field path. Best effort and only where a schema's type is a plain property path
 * (objects, arrays, maps, sets, optional/nullable wrappers); anything else stays unbranded.
 * Skipped entirely, at no cost, when the source never calls `.brand`.
 */
export function readBrands(source: SourceFile, exportName: string, paths: readonly string[]): BrandMap {
  const brands: BrandMap = new Map();
  const project = source.getProject();
  project.resolveSourceFileDependencies();
  if (!project.getSourceFiles().some((f) => !f.isInNodeModules() && f.getFullText().includes('.brand'))) return brands;

  const declaration = source.getExportedDeclarations().get(exportName)?.find((d) => Node.isVariableDeclaration(d));
  if (!declaration) return brands;
  const at = declaration;
  const propertyType = (type: Type, name: string): Type | undefined => type.getProperty(name)?.getTypeAtLocation(at);

  for (const path of paths) {
    let task: Type | undefined = declaration.getType();
    for (const part of path.split('.')) task = task && propertyType(task, part);
    if (!task) continue;
    const found = new Map<string, string[]>();
    const side = (key: string, io: 'input' | 'output', field: string) => {
      const schema = propertyType(task, key);
      const internals = schema && propertyType(schema, '_zod');
      const type = internals && propertyType(internals, io);
      if (type) visit(type, field, found, propertyType, 0);
    };
    side('input', 'input', 'input');
    side('output', 'output', 'output');
    const errors = propertyType(task, 'errors');
    for (const code of errors?.getProperties().map((p) => p.getName()) ?? []) {
      const schema = errors && propertyType(errors, code);
      const internals = schema && propertyType(schema, '_zod');
      const type = internals && propertyType(internals, 'output');
      if (type) visit(type, `errors.${code}`, found, propertyType, 0);
    }
    if (found.size) brands.set(path, found);
  }
  return brands;
}

/** zod's `$brand<T>` is `{ [$brand]: { [k in T]: true } }`; the symbol key prints as `__@$brand@<id>`. */
function brandNames(type: Type): { names: string[]; base: Type[] } {
  const parts = type.isIntersection() ? type.getIntersectionTypes() : [type];
  const names: string[] = [];
  const base: Type[] = [];
  for (const part of parts) {
    const marker = part.getProperties().find((p) => p.getName().startsWith('__@$brand'));
    if (marker && part.getProperties().length === 1) {
      const where = marker.getValueDeclaration();
      const inner = where ? marker.getTypeAtLocation(where) : marker.getDeclaredType();
      names.push(...inner.getProperties().map((p) => p.getName()));
    } else {
      base.push(part);
    }
  }
  return { names, base };
}

function visit(
  type: Type,
  field: string,
  found: Map<string, string[]>,
  propertyType: (type: Type, name: string) => Type | undefined,
  depth: number,
): void {
  if (depth > 12) return; // Recursive types: brands deeper than this are not looked for.
  // Optional and nullable wrappers add `| undefined` / `| null`; other unions are not followed.
  const members = type.isUnion() ? type.getUnionTypes().filter((t) => !t.isUndefined() && !t.isNull()) : [type];
  const only = members.length === 1 ? members[0] : undefined;
  if (!only) return;
  const { names, base } = brandNames(only);
  if (names.length) found.set(field, [...new Set([...(found.get(field) ?? []), ...names])].sort());
  if (base.length !== 1) return;
  const plain = base[0];
  if (!plain || plain.isString() || plain.isNumber() || plain.isBoolean() || plain.isLiteral()) return;
  if (plain.isArray()) {
    const element = plain.getArrayElementType();
    if (element) visit(element, `${field}[]`, found, propertyType, depth + 1);
    return;
  }
  const symbol = plain.getSymbol()?.getName();
  if (symbol === 'Map' || symbol === 'ReadonlyMap') {
    const [key, value] = plain.getTypeArguments();
    if (key) visit(key, `${field}{key}`, found, propertyType, depth + 1);
    if (value) visit(value, `${field}{}`, found, propertyType, depth + 1);
    return;
  }
  if (symbol === 'Set' || symbol === 'ReadonlySet') {
    const [value] = plain.getTypeArguments();
    if (value) visit(value, `${field}[]`, found, propertyType, depth + 1);
    return;
  }
  if (symbol === 'Date' || !plain.isObject()) return;
  for (const property of plain.getProperties()) {
    const name = property.getName();
    if (name.startsWith('__@')) continue;
    const value = propertyType(plain, name);
    if (value) visit(value, field === '' ? name : `${field}.${name}`, found, propertyType, depth + 1);
  }
}
