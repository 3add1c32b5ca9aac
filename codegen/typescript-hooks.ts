import { readFile } from 'node:fs/promises';
import type { LoadHook, ResolveHook } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ts } from 'ts-morph';

/**
 * Node module hooks (registered by load-contract.ts) that let the compiled CLI import a
 * contract written in TypeScript. Each file is transpiled on its own with the TypeScript
 * compiler that ts-morph bundles, so no extra runtime dependency (tsx, esbuild) is needed.
 * Like any per-file transpiler (tsx, esbuild), type-only re-exports must use `export type`.
 */

const TS_FILE = /\.(ts|mts)$/;

function isRelative(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('/') || specifier.startsWith('file:');
}

/** Where a `.js` specifier written in TypeScript source really points (NodeNext style), then bundler style. */
function candidates(specifier: string): string[] {
  if (/\.js$/.test(specifier)) return [specifier.replace(/\.js$/, '.ts')];
  if (/\.mjs$/.test(specifier)) return [specifier.replace(/\.mjs$/, '.mts')];
  if (!/\.[A-Za-z0-9]+$/.test(specifier)) return [`${specifier}.ts`, `${specifier}/index.ts`];
  return [];
}

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    const fromTs = context.parentURL !== undefined && TS_FILE.test(context.parentURL);
    if (!fromTs || !isRelative(specifier)) throw err;
    for (const candidate of candidates(specifier)) {
      try {
        return await nextResolve(candidate, context);
      } catch {
        // Try the next spelling; the original error is the one worth reporting.
      }
    }
    throw err;
  }
};

export const load: LoadHook = async (url, context, nextLoad) => {
  if (url.startsWith('file:') && /\.cts$/.test(url)) {
    throw new Error(`${fileURLToPath(url)}: CommonJS TypeScript (.cts) contracts are not supported; use .ts or .mts`);
  }
  if (!url.startsWith('file:') || !TS_FILE.test(url)) return nextLoad(url, context);
  const fileName = fileURLToPath(url);
  const source = await readFile(fileName, 'utf8');
  const output = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: false,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      // Keep class fields and decorators as the author's own compiler would for ES2022.
      useDefineForClassFields: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
  });
  return { format: 'module', source: output.outputText, shortCircuit: true };
};
