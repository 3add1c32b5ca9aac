import { childSchemas, metaOf, type Schema } from './zod-def.js';
import { pascalCase, type NameScope } from './naming.js';

/** Which side of a schema a type describes: what a caller sends, or what comes back. */
export type Io = 'input' | 'output';

/**
 * Schemas that contain themselves (z.lazy, getter recursion). Plain inlining would never end,
 * so these become named declarations that refer to themselves by name.
 */
export function findRecursive(roots: readonly Schema[]): Set<Schema> {
  const recursive = new Set<Schema>();
  const done = new Set<Schema>();
  const onStack = new Set<Schema>();
  const visit = (schema: Schema): void => {
    if (onStack.has(schema)) {
      recursive.add(schema);
      return;
    }
    if (done.has(schema)) return;
    onStack.add(schema);
    for (const next of childSchemas(schema)) visit(next);
    onStack.delete(schema);
    done.add(schema);
  };
  for (const root of roots) visit(root);
  return recursive;
}

export interface NamedDeclaration {
  readonly schema: Schema;
  readonly io: Io;
  /** The exported TypeScript type. */
  readonly typeName: string;
  /** The module-level zod constant validating it. */
  readonly schemaName: string;
  /** Filled by the walkers when they first render the body (a placeholder guards recursion). */
  typeText: string | undefined;
  codeText: string | undefined;
}

/**
 * Names for recursive schemas, per schema and side (input and output of one schema may differ,
 * e.g. with defaults). A name comes from `.meta({ id })` when given, otherwise from the place the
 * schema is first met (`TasksTreeInputRoot`), which is stable because the walk follows the
 * contract's declaration order.
 */
export class NamedTypes {
  readonly #recursive: ReadonlySet<Schema>;
  readonly #scope: NameScope;
  readonly #byKey = new Map<Schema, Partial<Record<Io | 'both', NamedDeclaration>>>();
  readonly #sensitive = new Map<Schema, boolean>();
  readonly declarations: NamedDeclaration[] = [];

  constructor(recursive: ReadonlySet<Schema>, scope: NameScope) {
    this.#recursive = recursive;
    this.#scope = scope;
  }

  isNamed(schema: Schema): boolean {
    return this.#recursive.has(schema);
  }

  get(schema: Schema, io: Io): NamedDeclaration | undefined {
    return this.#byKey.get(schema)?.[this.#slot(schema, io)];
  }

  /** One declaration serves both sides unless input and output types can differ. */
  #slot(schema: Schema, io: Io): Io | 'both' {
    let sensitive = this.#sensitive.get(schema);
    if (sensitive === undefined) {
      sensitive = differsByIo(schema);
      this.#sensitive.set(schema, sensitive);
    }
    return sensitive ? io : 'both';
  }

  /** Whether `.meta({ id })` or `.meta({ title })` names the schema. */
  hasMetaName(schema: Schema): boolean {
    return metaName(schema) !== undefined;
  }

  /**
   * Names the schema on first sight. `claimedName` is a name the caller already owns (a task's
   * root type); otherwise `suggested` is made unique.
   */
  declare(schema: Schema, io: Io, suggested: string, claimedName?: string): NamedDeclaration {
    const existing = this.get(schema, io);
    if (existing) return existing;
    const slot = this.#slot(schema, io);
    const fromMeta = metaName(schema);
    const typeName =
      claimedName ?? this.#scope.claim(fromMeta === undefined ? suggested : slot === 'both' ? fromMeta : `${fromMeta}${io === 'input' ? 'Input' : 'Output'}`);
    const schemaName = this.#scope.claim(`${typeName.slice(0, 1).toLowerCase()}${typeName.slice(1)}Schema`);
    const declaration: NamedDeclaration = { schema, io, typeName, schemaName, typeText: undefined, codeText: undefined };
    const slots = this.#byKey.get(schema) ?? {};
    slots[slot] = declaration;
    this.#byKey.set(schema, slots);
    this.declarations.push(declaration);
    return declaration;
  }
}

/** Wrappers whose input type differs from their output type. */
const IO_SENSITIVE = new Set(['default', 'prefault', 'catch', 'pipe', 'transform', 'success']);

/** Whether z.input and z.output of the schema can differ anywhere inside it. */
function differsByIo(root: Schema): boolean {
  const seen = new Set<Schema>();
  const visit = (schema: Schema): boolean => {
    if (seen.has(schema)) return false;
    seen.add(schema);
    const def = schema._zod.def;
    if (IO_SENSITIVE.has(def.type) || def['coerce'] === true) return true;
    // Key optionality is decided per side (optin / optout).
    if (schema._zod.optin !== undefined && schema._zod.optout === undefined) return true;
    return childSchemas(schema).some(visit);
  };
  return visit(root);
}

function metaName(schema: Schema): string | undefined {
  const meta = metaOf(schema);
  const id = typeof meta?.id === 'string' ? meta.id : typeof meta?.title === 'string' ? meta.title : undefined;
  const name = id === undefined ? '' : pascalCase(id);
  return /^[A-Za-z_]/.test(name) ? name : undefined;
}
