import { statSync } from 'node:fs';
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError } from './cli-error.js';
import { installHint, peerInstalled } from './optional-peer.js';

let hooksRegistered = false;

/**
 * Lets `import()` load TypeScript with codegen's hooks (each file transpiled by the compiler
 * ts-morph bundles), the way `taskwire codegen` loads a contract. When this file itself runs as
 * `.ts`, a TypeScript-aware runner (vitest, tsx) already handles it.
 */
function typeScriptHooks(shown: string): void {
  if (hooksRegistered || import.meta.url.endsWith('.ts')) return;
  if (!peerInstalled('ts-morph')) {
    throw new CliError(`${shown}: loading a TypeScript module needs ts-morph, an optional peer dependency that is not installed: ${installHint('ts-morph')} (or point at the compiled .js)`);
  }
  register(new URL('../../codegen/typescript-hooks.js', import.meta.url));
  hooksRegistered = true;
}

/** Imports a user's module (a contract, a worker) by path; every failure is one line naming the file. */
export async function importModule(file: string, cwd: string): Promise<Record<string, unknown>> {
  const path = resolve(cwd, file);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new CliError(`${file}: file not found`);
  }
  if (!isFile) throw new CliError(`${file}: not a file`);
  if (!/\.(ts|mts|js|mjs)$/.test(path)) throw new CliError(`${file}: expected a .ts, .mts, .js or .mjs module`);
  if (/\.m?ts$/.test(path)) typeScriptHooks(file);
  try {
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
    throw new CliError(`${file}: the module failed to load: ${message}`);
  }
}

/** The export a command needs, or an error listing the module's exports. */
export function exportOf(mod: Record<string, unknown>, name: string, file: string): unknown {
  if (name in mod) return mod[name];
  const names = Object.keys(mod).sort();
  throw new CliError(`${file}: no export named "${name}" (${names.length ? `its exports are: ${names.join(', ')}` : 'it has no exports'})`);
}
