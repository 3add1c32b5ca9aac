import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPacked, readPackageJson, type InstalledPackage } from '../support/packed-package.js';

const CONTRACT = `import { router, task, z } from 'taskwire';

export const contract = router({
  /** Adds two numbers. */
  add: task({ input: z.object({ a: z.number(), b: z.number() }), output: z.number() }),
});
`;

describe('taskwire codegen in a production install', () => {
  let installed: InstalledPackage;
  beforeAll(() => {
    installed = installPacked();
    writeFileSync(join(installed.project, 'contract.ts'), CONTRACT);
  }, 90_000);
  afterAll(() => installed?.remove());

  /** The installed CLI as a user runs it, from their project directory. */
  function taskwire(...args: string[]) {
    const main = join(installed.root, 'dist/src/cli/main.js');
    const result = spawnSync(process.execPath, [main, ...args], { cwd: installed.project, encoding: 'utf8', timeout: 30_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it('without ts-morph: exit 1 and one line saying what to install, no stack, no output file', () => {
    const { status, stdout, stderr } = taskwire('codegen', 'contract.ts', '--out', 'client.ts');
    const range = readPackageJson().peerDependencies?.['ts-morph'];
    expect(stdout).toBe('');
    expect(stderr).toBe(`taskwire codegen needs ts-morph, an optional peer dependency that is not installed: npm install -D ts-morph@${range}\n`);
    expect(status).toBe(1);
    expect(existsSync(join(installed.project, 'client.ts'))).toBe(false);
  });

  it('without ts-morph, help and usage errors still work', () => {
    expect(taskwire('codegen', '--help')).toMatchObject({ status: 0, stdout: expect.stringContaining('usage: taskwire codegen') });
    expect(taskwire('codegen', 'contract.ts')).toMatchObject({ status: 2, stderr: expect.stringContaining('missing --out') });
  });

  it('once the user installs ts-morph, the same command writes the client', () => {
    installed.link('ts-morph');
    const { status, stdout, stderr } = taskwire('codegen', 'contract.ts', '--out', 'client.ts');
    expect(stderr).toBe('');
    expect(stdout).toBe('wrote client.ts (1 task)\n');
    expect(status).toBe(0);
    expect(readFileSync(join(installed.project, 'client.ts'), 'utf8')).toContain('Adds two numbers.');
  });
});
