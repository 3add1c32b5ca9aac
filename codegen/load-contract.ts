import { statSync } from 'node:fs';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isRouter, listTasks } from '../src/contract/router.js';
import { isTask, type AnyTask } from '../src/contract/task.js';
import type { RouterShape } from '../src/contract/router.js';
import { CodegenError, oneLine } from './codegen-error.js';

export interface LoadedContract {
  readonly router: RouterShape;
  /** Every task with its dotted path, in declaration order. */
  readonly tasks: ReadonlyArray<{ readonly path: string; readonly task: AnyTask }>;
}

let hooksRegistered = false;

/**
 * Makes `import()` understand TypeScript. When this file itself runs as `.ts`, a TypeScript-aware
 * runner (vitest, tsx) is loading it and already handles the contract's imports; only the
 * compiled CLI needs the hooks.
 */
function ensureTypeScriptHooks(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  if (import.meta.url.endsWith('.ts')) return;
  register(new URL('./typescript-hooks.js', import.meta.url));
}

/**
 * Imports the contract module and returns its router export. Loading runs the module, as the
 * worker itself would: schemas are values, and only the values say exactly what zod checks.
 * `file` is absolute; `shown` is how errors name it.
 */
export async function loadContract(file: string, exportName: string, shown: string): Promise<LoadedContract> {
  const where = { file: shown, exportName };
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new CodegenError({ file: shown }, 'file not found');
  }
  if (!isFile) throw new CodegenError({ file: shown }, 'not a file');
  if (!/\.(ts|mts|js|mjs)$/.test(file)) throw new CodegenError({ file: shown }, 'a contract must be a .ts, .mts, .js or .mjs module');

  ensureTypeScriptHooks();
  let moduleNamespace: Record<string, unknown>;
  try {
    moduleNamespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new CodegenError(where, `the module failed to load: ${oneLine(err instanceof Error ? err.message : String(err))}`);
  }

  if (!(exportName in moduleNamespace)) {
    const names = Object.keys(moduleNamespace).sort();
    const known = names.length ? `its exports are: ${names.join(', ')}` : 'it has no exports';
    throw new CodegenError(where, `no export named "${exportName}" (${known})`);
  }
  const value = moduleNamespace[exportName];
  if (isTask(value)) throw new CodegenError(where, 'the export is a single task(), not a router(); wrap it: router({ name: task(...) })');
  if (!isRouter(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new CodegenError(where, `the export is ${kind}, not a taskwire router() contract`);
  }
  const tasks = listTasks(value);
  if (tasks.length === 0) throw new CodegenError(where, 'the router has no tasks');
  return { router: value, tasks };
}
