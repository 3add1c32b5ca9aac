import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './golden.js';

/** The CLI as users run it: the compiled bin in a child process, paths relative to the repo. */
function taskwire(...args: string[]) {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/src/cli/main.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const tmp = join('test/.tmp', `cli-${randomBytes(4).toString('hex')}`);
mkdirSync(join(REPO_ROOT, tmp), { recursive: true });
afterAll(() => rmSync(join(REPO_ROOT, tmp), { recursive: true, force: true }));

const BAD = 'test/codegen/bad-input';

describe('taskwire codegen on bad input', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a file that does not exist', [`${BAD}/missing.ts`], /^taskwire codegen: test\/codegen\/bad-input\/missing\.ts: file not found$/],
    ['an export that does not exist', [`${BAD}/custom-schema.ts`, '--export', 'nope'], /custom-schema\.ts#nope: no export named "nope" \(its exports are: contract\)$/],
    ['an export that is a plain object, not a router', [`${BAD}/not-a-router.ts`], /not-a-router\.ts#contract: the export is object, not a taskwire router\(\) contract$/],
    ['an export that is a single task', [`${BAD}/not-a-router.ts`, '--export', 'single'], /not-a-router\.ts#single: the export is a single task\(\), not a router\(\)/],
    ['a z.custom() schema', [`${BAD}/custom-schema.ts`], /custom-schema\.ts#contract task files\.upload input\.blob: z\.custom\(\)/],
    ['a z.function() schema', [`${BAD}/function-schema.ts`], /function-schema\.ts#contract task hooks input\.options\.onDone: functions cannot cross the wire/],
    ['an output that ends in a transform', [`${BAD}/transform-output.ts`], /transform-output\.ts#contract task parse output\.n: a transform has no output type/],
    ['a module that throws while loading', [`${BAD}/throws-on-load.ts`], /throws-on-load\.ts#contract: the module failed to load: contract module exploded while loading$/],
  ];

  it.each(cases)('%s: exit 1, one line naming file, export and task, no output file', (_name, args, message) => {
    const out = join(tmp, `${randomBytes(4).toString('hex')}.ts`);
    const { status, stdout, stderr } = taskwire('codegen', ...args, '--out', out);
    expect(status).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(existsSync(join(REPO_ROOT, out))).toBe(false);
    expect(readdirSync(join(REPO_ROOT, tmp)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a failed run leaves an existing output file as it was', () => {
    const out = join(tmp, 'kept.ts');
    writeFileSync(join(REPO_ROOT, out), '// previous client\n');
    expect(taskwire('codegen', `${BAD}/custom-schema.ts`, '--out', out).status).toBe(1);
    expect(readFileSync(join(REPO_ROOT, out), 'utf8')).toBe('// previous client\n');
  });

  it('wrong usage exits 2 with the usage text', () => {
    const { status, stderr } = taskwire('codegen', `${BAD}/custom-schema.ts`);
    expect(status).toBe(2);
    expect(stderr).toContain('missing --out');
    expect(taskwire('frobnicate').status).toBe(2);
  });
});

describe('taskwire codegen --check', () => {
  const contract = join(tmp, 'contract.ts');
  const out = join(tmp, 'check-client.ts');

  it('fails when the client does not exist, passes once written, fails again when the contract changes', () => {
    // A copy of a golden contract that the test may edit (test/.tmp/x/ is as deep as test/codegen/x/).
    const source = readFileSync(join(REPO_ROOT, 'test/codegen/basic/contract.ts'), 'utf8').replace("import { ping } from './ping-task.js';", "import { ping } from '../../codegen/basic/ping-task.js';");
    writeFileSync(join(REPO_ROOT, contract), source);

    const missing = taskwire('codegen', contract, '--out', out, '--check');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/check-client\.ts does not exist; regenerate with: taskwire codegen /);
    expect(existsSync(join(REPO_ROOT, out))).toBe(false);

    const written = taskwire('codegen', contract, '--out', out);
    expect(written.status).toBe(0);
    expect(written.stdout).toMatch(/wrote .*check-client\.ts \(\d+ tasks\)/);

    const fresh = taskwire('codegen', contract, '--out', out, '--check');
    expect(fresh.status).toBe(0);
    expect(fresh.stdout).toMatch(/is up to date/);

    writeFileSync(join(REPO_ROOT, contract), source.replace('width: z.number().int().positive()', 'width: z.number().int().positive(), height: z.number().optional()'));
    const stale = taskwire('codegen', contract, '--out', out, '--check');
    expect(stale.status).toBe(1);
    expect(stale.stderr.trim().split('\n')).toHaveLength(1);
    expect(stale.stderr).toMatch(/check-client\.ts is stale/);
  }, 120_000);

  it('a hand edit of the generated file makes it stale', () => {
    copyFileSync(join(REPO_ROOT, 'test/codegen/basic/expected.golden.ts'), join(REPO_ROOT, tmp, 'edited.ts'));
    writeFileSync(join(REPO_ROOT, tmp, 'edited.ts'), `${readFileSync(join(REPO_ROOT, tmp, 'edited.ts'), 'utf8')}// edited\n`);
    const result = taskwire('codegen', 'test/codegen/basic/contract.ts', '--out', join(tmp, 'edited.ts'), '--check');
    expect(result.status).toBe(1);
  });
});
