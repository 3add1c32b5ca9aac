import { routesOf, type Route } from '../src/contract/route.js';
import { CodegenError, UnsupportedSchemaError } from './codegen-error.js';
import type { LoadedContract } from './load-contract.js';
import { findRecursive, NamedTypes, type Io } from './named-types.js';
import { NameScope, pascalCase } from './naming.js';
import { describedAs, type Schema } from './zod-def.js';
import { zodToCode } from './zod-to-code.js';
import { zodToTs } from './zod-to-ts.js';

/** One side (input or output) of a task, ready to print. */
export interface SideModel {
  readonly typeName: string;
  /** Undefined when the type is a recursive declaration of the same name (printed with those). */
  readonly typeText: string | undefined;
  readonly doc: string | undefined;
  readonly schemaName: string;
  /** Undefined when the schema constant is a recursive declaration (printed with those). */
  readonly schemaCode: string | undefined;
}

export interface TaskModel {
  readonly path: string;
  readonly doc: string | undefined;
  readonly input: SideModel;
  /** The input accepts undefined, so the stub's argument may be left out. */
  readonly inputOptional: boolean;
  readonly output: SideModel;
  /** What onProgress gets, for tasks that declare progress (no schema: the client checks none). */
  readonly progress: SideModel | undefined;
  readonly errorsName: string;
  readonly errors: ReadonlyArray<{ readonly code: string; readonly dataText: string; readonly doc: string | undefined }>;
  readonly route: Route;
}

export interface ContractModel {
  readonly tasks: readonly TaskModel[];
  readonly named: NamedTypes;
  readonly scope: NameScope;
  /** JSDoc of nested routers, by path. */
  readonly routerDocs: ReadonlyMap<string, string>;
}

/** Names the generated module itself uses; contract-derived names must not shadow them. */
export const RESERVED_NAMES = [
  'z',
  'createRouteClient',
  'isTaskError',
  'ClientOptions',
  'ClientHandle',
  'CallOptions',
  'TaskMethod',
  'EventsHandle',
  'Route',
  'RouteTable',
  'RoutesOf',
  'TaskError',
  'routes',
  'createClient',
  'TaskErrors',
  'TaskTypes',
  'isDeclaredError',
];

export interface ModelOptions {
  readonly where: { readonly file: string; readonly exportName: string };
  /** JSDoc from the contract's source, by task or router path. */
  readonly docs: ReadonlyMap<string, string>;
  /** Brands by `${taskPath}:${field}` (see read-brands.ts). */
  readonly brands?: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  readonly clientName: string;
}

/**
 * Turns the loaded contract into everything the emitter prints: type text, zod code and route
 * data per task. Schemas the generator cannot express become a CodegenError naming the task
 * and field.
 */
export function buildModel(loaded: LoadedContract, options: ModelOptions): ContractModel {
  const roots = loaded.tasks.flatMap(({ task }) =>
    [task.input, task.output, ...(task.progress ? [task.progress] : []), ...Object.values(task.errors)] as unknown as Schema[],
  );
  const scope = new NameScope([...RESERVED_NAMES, options.clientName]);
  const named = new NamedTypes(findRecursive(roots), scope);
  const routes = routesOf(loaded.router);
  const taskPaths = new Set(loaded.tasks.map((t) => t.path));

  const tasks = loaded.tasks.map(({ path, task }): TaskModel => {
    const base = scope.claim(pascalCase(path));
    const brands = options.brands?.get(path);
    const fail = (err: unknown): never => {
      if (err instanceof UnsupportedSchemaError) {
        throw new CodegenError({ ...options.where, task: path, field: err.field }, err.message);
      }
      throw err;
    };
    const side = (schema: Schema, io: Io, role: 'Input' | 'Output' | 'Progress'): SideModel => {
      const typeName = scope.claim(`${base}${role}`);
      const walk = { io, named, base, ...(brands ? { brands } : {}) };
      const field = role.toLowerCase();
      try {
        if (named.isNamed(schema) && !named.hasMetaName(schema) && !named.get(schema, io)) named.declare(schema, io, typeName, typeName);
        const typeText = zodToTs(schema, walk, field);
        const schemaCode = zodToCode(schema, walk, field);
        const declared = named.isNamed(schema) ? named.get(schema, io) : undefined;
        return {
          typeName,
          typeText: declared?.typeName === typeName ? undefined : typeText,
          doc: describedAs(schema),
          schemaName: declared ? declared.schemaName : scope.claim(`${typeName.slice(0, 1).toLowerCase()}${typeName.slice(1)}Schema`),
          schemaCode: declared ? undefined : schemaCode,
        };
      } catch (err) {
        return fail(err);
      }
    };
    const input = side(task.input as unknown as Schema, 'input', 'Input');
    const output = side(task.output as unknown as Schema, 'output', 'Output');
    const progress = task.progress ? side(task.progress as unknown as Schema, 'output', 'Progress') : undefined;
    const errorsName = scope.claim(`${base}Errors`);
    const errors = Object.keys(task.errors)
      .sort()
      .map((code) => {
        const schema = task.errors[code] as unknown as Schema;
        try {
          return { code, dataText: zodToTs(schema, { io: 'output', named, base, ...(brands ? { brands } : {}) }, `errors.${code}`, '    '), doc: describedAs(schema) };
        } catch (err) {
          return fail(err);
        }
      });
    const route = routes.get(path);
    if (!route) throw new Error(`codegen: no route for ${path}`);
    const inputSchema = task.input as unknown as Schema;
    const inputOptional = inputSchema._zod.optin !== undefined || ['undefined', 'void', 'unknown', 'any'].includes(inputSchema._zod.def.type);
    const doc = [task.description, options.docs.get(path)].filter((d, i, all): d is string => !!d && all.indexOf(d) === i).join('\n\n');
    return { path, doc: doc || undefined, input, inputOptional, output, progress, errorsName, errors, route };
  });

  const routerDocs = new Map([...options.docs].filter(([path]) => !taskPaths.has(path)));
  return { tasks, named, scope, routerDocs };
}
