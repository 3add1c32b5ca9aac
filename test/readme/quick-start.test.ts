import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { redisUrl } from '../support/redis.js';

/**
 * The README's quick start, as a new user meets it (issue 13, point 9): its three files are
 * taken from README.md as they are, compiled with `tsc --strict` by TypeScript 6 (this repo's)
 * and 7 (npm's newest, the native compiler) against the built package, and run: the worker as a
 * process, the caller as a process that must exit by itself (`await using` closes the client).
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const COMPILERS = {
  'TypeScript 6': join(REPO, 'node_modules/typescript/bin/tsc'),
  'TypeScript 7': join(REPO, 'node_modules/typescript7/bin/tsc'),
};

/** Each ```ts block of the README that opens with `// <name>.ts`, by file name. */
function quickStartFiles(): Map<string, string> {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Concepts'));
  const files = new Map<string, string>();
  for (const m of quickStart.matchAll(/```ts\n(\/\/ (\w+)\.ts[^\n]*\n[\s\S]*?)```/g)) files.set(`${m[2]}.ts`, m[1] ?? '');
  return files;
}

/** A fresh app folder: the README's files, strict tsconfig, and the package as `taskwire`. */
function app(): string {
  mkdirSync(join(REPO, 'test/.tmp'), { recursive: true });
  const dir = mkdtempSync(join(REPO, 'test/.tmp/readme-'));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
  for (const [name, text] of quickStartFiles()) writeFileSync(join(dir, 'src', name), text);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-app', private: true, type: 'module' }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2022', 'esnext.disposable'],
        types: ['node'],
        strict: true,
        noUncheckedIndexedAccess: true,
        outDir: 'dist',
        rootDir: 'src',
        skipLibCheck: true,
      },
      include: ['src'],
    }),
  );
  symlinkSync(REPO, join(dir, 'node_modules/taskwire'), 'dir');
  symlinkSync(join(REPO, 'node_modules/zod'), join(dir, 'node_modules/zod'), 'dir');
  symlinkSync(join(REPO, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'), 'dir');
  return dir;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the README quick start', () => {
  it('holds the three files, with zod 4 helpers only', () => {
    const files = quickStartFiles();
    expect([...files.keys()]).toEqual(['contract.ts', 'worker.ts', 'caller.ts']);
    expect(files.get('contract.ts')).not.toMatch(/z\.string\(\)\.url\(\)/);
  });

  it.each(Object.entries(COMPILERS))('compiles with %s under --strict', (_name, tsc) => {
    const dir = app();
    dirs.push(dir);
    const res = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', timeout: 60_000 });
    expect(res.stdout + res.stderr).toBe('');
    expect(res.status).toBe(0);
  }, 90_000);

  it('runs: the worker answers, the caller gets a typed result and a typed declared error, and exits by itself', async () => {
    const dir = app();
    dirs.push(dir);
    expect(spawnSync(process.execPath, [COMPILERS['TypeScript 6'], '-p', dir], { encoding: 'utf8', timeout: 60_000 }).status).toBe(0);
    const env = { ...process.env, REDIS_URL: redisUrl() };
    const worker = spawn(process.execPath, ['dist/worker.js'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('the worker did not say it was ready')), 15_000);
        worker.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('worker ready')) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      const caller = spawnSync(process.execPath, ['dist/caller.js'], { cwd: dir, env, encoding: 'utf8', timeout: 20_000 });
      expect(caller.stderr).toBe('');
      expect(caller.stdout).toBe('https://img.example/cat.png?w=200 true\nnot found: https://img.example/missing.png\n');
      // Exited by itself (await using closed the client): spawnSync did not have to kill it.
      expect(caller.signal).toBeNull();
      expect(caller.status).toBe(0);
    } finally {
      const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
      worker.kill('SIGTERM');
      // closeOnSignals(): drains and exits 0.
      expect(await exited).toBe(0);
    }
  }, 60_000);
});
