import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPacked, readPackageJson, REPO_ROOT, type InstalledPackage } from '../support/packed-package.js';

function node(main: string, cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [main, ...args], { cwd, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('taskwire --version', () => {
  const { version } = readPackageJson();
  const main = join(REPO_ROOT, 'dist/src/cli/main.js');

  it.each(['--version', '-v'])('%s prints the package.json version and exits 0', (flag) => {
    expect(node(main, REPO_ROOT, flag)).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('the usage text lists it', () => {
    const { status, stdout } = node(main, REPO_ROOT, '--help');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^ {2}--version, -v +print taskwire's version$/m);
  });

  describe('in an installed copy, run from another directory', () => {
    let installed: InstalledPackage;
    beforeAll(() => {
      installed = installPacked();
    }, 90_000);
    afterAll(() => installed?.remove());

    it('reads the installed package.json, not one from the working directory', () => {
      const installedMain = join(installed.root, 'dist/src/cli/main.js');
      expect(node(installedMain, installed.project, '--version')).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
    });
  });
});
