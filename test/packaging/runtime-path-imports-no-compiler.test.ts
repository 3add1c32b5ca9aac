import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importGraph } from '../support/import-graph.js';
import { installPacked, readPackageJson, REPO_ROOT, type InstalledPackage } from '../support/packed-package.js';

const COMPILERS = ['ts-morph', 'typescript'];

/** Subpaths that exist for an optional peer, and that peer: they load only where it is installed. */
const PEER_EXPORTS: Record<string, string> = { './tracing': '@opentelemetry/api', './prometheus': 'prom-client' };

/** Every module a user can import: the "default" target of each entry of package.json "exports". */
function exportedModules(): string[] {
  return Object.values(readPackageJson().exports ?? {})
    .map((target) => (typeof target === 'string' ? target : target['default']))
    .filter((target): target is string => target !== undefined && target.endsWith('.js'));
}

describe('the runtime path imports no compiler', () => {
  it('nothing reachable from the package exports imports ts-morph or typescript, even lazily', () => {
    const entries = exportedModules();
    expect(entries).toContain('./dist/src/index.js');
    const graph = importGraph(entries.map((entry) => join(REPO_ROOT, entry)));
    expect(graph.files.size).toBeGreaterThan(10);
    expect(graph.computedImports).toEqual([]);
    for (const name of COMPILERS) expect(graph.packages.get(name), `${name} imported by`).toBeUndefined();
    expect([...graph.files].filter((file) => file.includes('/dist/codegen/'))).toEqual([]);
  });

  it('the walk does follow lazy imports: from the CLI it reaches ts-morph through codegen', () => {
    const graph = importGraph([join(REPO_ROOT, 'dist/src/cli/main.js')]);
    expect(graph.packages.get('ts-morph')).toBeDefined();
  });

  describe('in a production install (no ts-morph)', () => {
    let installed: InstalledPackage;
    beforeAll(() => {
      installed = installPacked();
    }, 90_000);
    afterAll(() => installed?.remove());

    const load = (names: readonly string[]) => {
      const script = names.map((name) => `await import(${JSON.stringify(name)});`).join('\n');
      return spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: installed.project, encoding: 'utf8', timeout: 20_000 });
    };

    it('every export loads (those of optional peers once the peer is installed)', () => {
      const keys = Object.keys(readPackageJson().exports ?? {}).filter((key) => key !== './package.json');
      const result = load(keys.filter((key) => PEER_EXPORTS[key] === undefined).map((key) => join('taskwire', key)));
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      for (const [key, peer] of Object.entries(PEER_EXPORTS)) {
        expect(keys).toContain(key);
        const without = load([join('taskwire', key)]);
        expect(without.stderr).toContain(peer);
        installed.link(peer);
        const withPeer = load([join('taskwire', key)]);
        expect(withPeer.stderr).toBe('');
        expect(withPeer.status).toBe(0);
      }
    });
  });
});
