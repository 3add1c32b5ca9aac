import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Child processes (workers, the memory probe, the profiled client) run on plain `node` over
 * compiled JavaScript, as an application would: under tsx a process carries ~40 MB of loader
 * state, which would be billed to taskwire's RSS, and takes ~0.7 s longer to start.
 * bench/*.ts is transpiled to dist/bench/ next to the build's dist/src/, so `../src/index.js`
 * resolves to the built runtime.
 */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH = join(ROOT, 'bench');
const OUT = join(ROOT, 'dist', 'bench');

function files(dir: string, ext: readonly string[]): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === '.tmp' ? [] : files(path, ext);
    return ext.some((x) => e.name.endsWith(x)) ? [path] : [];
  });
}

/** Rebuilds dist/src when src/ changed after the last build (children and parent must agree). */
function ensureBuilt(): void {
  const built = join(ROOT, 'dist', 'src', 'index.js');
  const newest = Math.max(...files(join(ROOT, 'src'), ['.ts', '.lua']).map((f) => statSync(f).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  const res = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (res.status !== 0) throw new Error('npm run build failed; the bench needs dist/src');
}

/** Transpiles bench/**.ts to dist/bench/**.js (no type check: `npm run typecheck` does that). */
export function compileBench(): void {
  ensureBuilt();
  for (const file of files(BENCH, ['.ts'])) {
    const out = join(OUT, relative(BENCH, file)).replace(/\.ts$/, '.js');
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
}

/** Path of the compiled form of a bench entry, e.g. `worker-process` → dist/bench/worker-process.js. */
export function compiled(entry: string): string {
  return join(OUT, `${entry}.js`);
}
