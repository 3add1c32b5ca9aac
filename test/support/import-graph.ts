import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

/** What a module graph reaches: its own files, and every package imported from them. */
export interface ImportGraph {
  readonly files: ReadonlySet<string>;
  /** Package name → the files that import it (static imports, re-exports and literal `import()`). */
  readonly packages: ReadonlyMap<string, readonly string[]>;
  /** Files with an `import()` whose specifier is computed, which no static walk can follow. */
  readonly computedImports: readonly string[];
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(specifier);
}

// An `import(` not followed by a string or template literal (after optional whitespace).
const COMPUTED_IMPORT = /\bimport\(\s*(?!['"`])/;

/**
 * Walks compiled JavaScript from `entries`, following relative imports, including the lazy
 * `import()` calls that static-only walkers skip. TypeScript's preProcessFile does the scanning,
 * so comments and strings are not mistaken for imports.
 */
export function importGraph(entries: readonly string[]): ImportGraph {
  const files = new Set<string>();
  const packages = new Map<string, string[]>();
  const computedImports: string[] = [];
  const queue = entries.map((entry) => resolve(entry));
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    if (COMPUTED_IMPORT.test(text)) computedImports.push(file);
    for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
      if (specifier.startsWith('.') || specifier.startsWith('/')) {
        queue.push(resolve(dirname(file), specifier));
      } else if (!isBuiltin(specifier)) {
        const name = packageName(specifier);
        packages.set(name, [...(packages.get(name) ?? []), file]);
      }
    }
  }
  return { files, packages, computedImports };
}
