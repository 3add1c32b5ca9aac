import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { taskwire } from '../support/cli-process.js';
import { REPO_ROOT } from '../support/packed-package.js';

/**
 * A throwaway git repository with two commits of a contract. It sits under the repo's test/.tmp
 * (ignored) rather than the OS tmpdir so that its contract resolves `zod` and `taskwire/contract`
 * from this repo's node_modules, as a contract package in a real repo does.
 */
const repo = join(REPO_ROOT, 'test/.tmp', `breaking-${randomBytes(4).toString('hex')}`);
afterAll(() => rmSync(repo, { recursive: true, force: true }));

const V1 = `import { z } from 'zod';
import { router, task } from 'taskwire/contract';
export const contract = router({
  users: router({
    get: task({ input: z.object({ id: z.string() }), output: z.object({ id: z.string(), name: z.string() }) }),
  }),
});
`;
const V2_SAFE = V1.replace("z.object({ id: z.string() })", "z.object({ id: z.string(), fields: z.array(z.string()).optional() })");
const V3_BREAKING = V2_SAFE.replace("z.object({ id: z.string(), name: z.string() })", "z.object({ id: z.string() })");

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } });
}

function commit(text: string, message: string): void {
  writeFileSync(join(repo, 'src/contract.ts'), text);
  git('add', '-A');
  git('commit', '-qm', message);
}

describe('taskwire breaking --against a git ref', () => {
  mkdirSync(join(repo, 'src'), { recursive: true });
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'contracts', type: 'module' }));
  git('init', '-q');
  commit(V1, 'v1');
  commit(V2_SAFE, 'v2: an optional input field');
  const file = join(repo, 'src/contract.ts');

  it('a safe change: listed as safe, exit 0', () => {
    const r = taskwire(['breaking', file, '--against', 'HEAD~1']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/users\.get\s+input\.fields\s+added \(optional\)\s+safe/);
    expect(r.stdout).toMatch(/1 change, none breaking/);
  });

  it('a breaking change in the working tree: the task, the field, who breaks and how; exit 1; the extracted ref is removed', () => {
    writeFileSync(file, V3_BREAKING);
    const r = taskwire(['breaking', file, '--against', 'HEAD', '--json']);
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as { against: string; breaking: number; changes: Array<Record<string, unknown>> };
    expect(report.against).toBe('HEAD:src/contract.ts');
    expect(report.breaking).toBe(1);
    expect(report.changes).toEqual([
      expect.objectContaining({ task: 'users.get', field: 'output.name', change: 'removed', verdict: 'breaks-old-callers', oldCallers: expect.objectContaining({ runtime: 'CONTRACT_MISMATCH' }) }),
    ]);
    expect(readdirSync(repo).filter((f) => f.startsWith('.taskwire-against-'))).toEqual([]);
    // Against the first commit, both changes are listed.
    const both = taskwire(['breaking', file, '--against', 'HEAD~1']);
    expect(both.status).toBe(1);
    expect(both.stdout).toMatch(/2 changes, 1 breaking/);
  });

  it('--workers-first does not fail on changes that only old workers would meet', () => {
    writeFileSync(file, V1.replace("z.object({ id: z.string(), name: z.string() })", "z.object({ id: z.string(), name: z.string(), email: z.string() })"));
    expect(taskwire(['breaking', file, '--against', 'HEAD~1']).status).toBe(1);
    const r = taskwire(['breaking', file, '--against', 'HEAD~1', '--workers-first']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/output\.email\s+added \(required\)\s+breaks old workers/);
  });

  it('an --against that is neither a file nor a ref is wrong usage (exit 2)', () => {
    const r = taskwire(['breaking', file, '--against', 'no-such-ref']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--against no-such-ref: neither a file nor a git ref/);
    expect(existsSync(join(repo, 'src/contract.ts'))).toBe(true);
  });
});
