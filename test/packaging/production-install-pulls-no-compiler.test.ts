import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPackageJson, REPO_ROOT } from '../support/packed-package.js';

/** ts-morph bundles the TypeScript compiler (~15 MB); `typescript` itself is ~24 MB. */
const COMPILER_PACKAGES = ['ts-morph', '@ts-morph/common', 'typescript'];

interface LockedPackage {
  readonly dev?: boolean;
  readonly peer?: boolean;
}

describe('a production install pulls no compiler', () => {
  const pkg = readPackageJson();

  it('ts-morph is an optional peer dependency, never a dependency', () => {
    for (const name of COMPILER_PACKAGES) {
      expect(pkg.dependencies?.[name], `${name} in dependencies`).toBeUndefined();
      expect(pkg.optionalDependencies?.[name], `${name} in optionalDependencies`).toBeUndefined();
    }
    expect(pkg.peerDependencies?.['ts-morph']).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(pkg.peerDependenciesMeta?.['ts-morph']?.optional).toBe(true);
  });

  it("the repo's own build and tests still get the ts-morph version the peer range allows", () => {
    const dev = pkg.devDependencies?.['ts-morph'];
    expect(dev).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.peerDependencies?.['ts-morph']).toBe(`^${dev}`);
  });

  it('no package a production install gets (by the lockfile) is a compiler', () => {
    // npm marks in the lockfile what only dev dependencies reach (`dev`) and what only peers reach
    // (`peer`); everything else is what `npm install --omit=dev --omit=peer` installs.
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockedPackage> };
    const production = Object.entries(lock.packages)
      .filter(([path, entry]) => path.includes('node_modules/') && entry.dev !== true && entry.peer !== true)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(production).toContain('ioredis');
    expect(production.filter((name) => COMPILER_PACKAGES.includes(name))).toEqual([]);
  });
});
