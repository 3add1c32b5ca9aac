import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPacked, packedFiles, REPO_ROOT, type InstalledPackage } from '../support/packed-package.js';

describe('stack traces point at files the package ships', () => {
  it('every `sources` entry of every shipped source map is itself shipped', () => {
    const shipped = new Set(packedFiles());
    const maps = [...shipped].filter((path) => path.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources, sourceRoot } = JSON.parse(readFileSync(join(REPO_ROOT, map), 'utf8')) as { sources: string[]; sourceRoot?: string };
      for (const source of sources) {
        const path = posix.normalize(posix.join(posix.dirname(map), sourceRoot ?? '', source));
        if (!shipped.has(path)) missing.push(`${map} -> ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  describe('in an installed copy, under node --enable-source-maps', () => {
    let installed: InstalledPackage;
    beforeAll(() => {
      installed = installPacked();
    }, 90_000);
    afterAll(() => installed?.remove());

    it("an error made inside taskwire names taskwire files that exist, in the user's node_modules", () => {
      const script = "import { toTaskwireError } from 'taskwire'; console.log(toTaskwireError('boom').stack);";
      const result = spawnSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], { cwd: installed.project, encoding: 'utf8', timeout: 20_000 });
      expect(result.status).toBe(0);
      const frames = [...result.stdout.matchAll(/\((\/[^():]+):\d+:\d+\)/g)].map((m) => m[1] ?? '');
      const ours = frames.filter((file) => file.startsWith(join(installed.root, '/')));
      expect(ours.length, result.stdout).toBeGreaterThan(0);
      // Mapped back to the TypeScript source, not left pointing at dist/.
      expect(ours[0]).toBe(join(installed.root, 'src/errors.ts'));
      for (const file of ours) expect(existsSync(file), `${file} (from ${dirname(file)})`).toBe(true);
    });
  });
});
