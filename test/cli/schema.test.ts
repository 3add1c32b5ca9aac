import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createWorker, type Handlers } from '../../src/index.js';
import { fingerprintTask } from '../../src/contract/fingerprint.js';
import { taskwire } from '../support/cli-process.js';
import { quietLogger } from '../support/fixtures.js';
import { REPO_ROOT } from '../support/packed-package.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';
import { contract } from './fixtures/greeter-contract.js';

const out = join('test/.tmp', `schema-${randomBytes(4).toString('hex')}`);
mkdirSync(join(REPO_ROOT, out), { recursive: true });
afterAll(() => rmSync(join(REPO_ROOT, out), { recursive: true, force: true }));

const handlers: Handlers<typeof contract> = {
  greeter: {
    greet: ({ name, times }, ctx) => {
      if (name === 'nobody') throw ctx.error('SHY', { reason: 'no one there' });
      const text = Array.from({ length: times }, () => `hello ${name}`).join(', ');
      return { text, length: text.length };
    },
  },
};

describe('taskwire schema', () => {
  it("writes each task's input, output, progress and error schemas as JSON Schema, and an index", () => {
    const r = taskwire(['schema', 'test/cli/fixtures/greeter-contract.ts', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`wrote 1 task to ${out}\n`);
    const dir = join(REPO_ROOT, out);
    expect(readdirSync(dir).sort()).toEqual([
      'greeter.greet.errors.SHY.schema.json',
      'greeter.greet.input.schema.json',
      'greeter.greet.output.schema.json',
      'greeter.greet.progress.schema.json',
      'index.json',
    ]);
    const input = JSON.parse(readFileSync(join(dir, 'greeter.greet.input.schema.json'), 'utf8')) as Record<string, unknown>;
    expect(input).toMatchObject({
      type: 'object',
      required: ['name', 'times'],
      properties: { name: { type: 'string', minLength: 1, description: 'who to greet' }, times: { type: 'integer', minimum: 1, maximum: 5 } },
    });
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { tasks: Array<Record<string, unknown>> };
    expect(index.tasks[0]).toMatchObject({ path: 'greeter.greet', queue: 'greetings', fingerprint: fingerprintTask(contract.greeter.greet), timeoutMs: 10_000 });
  });

  it('a program in another language calls a taskwire worker with PROTOCOL.md and these files alone', async () => {
    expect(taskwire(['schema', 'test/cli/fixtures/greeter-contract.ts', '--out', out]).status).toBe(0);
    const prefix = randomPrefix();
    const url = redisUrl();
    const insp = inspector(prefix, url);
    const worker = createWorker(contract, handlers, { redis: url, prefix, logger: quietLogger });
    await worker.start();
    try {
      const { hostname, port } = new URL(url);
      const python = (input: object) => {
        // spawnSync would block the worker in this process: run it asynchronously.
        return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
          execFile(
              'python3',
              [join(REPO_ROOT, 'test/cli/fixtures/call-from-python.py'), hostname, port, prefix, join(REPO_ROOT, out), 'greeter.greet', JSON.stringify(input)],
              { timeout: 15_000 },
              (err, stdout, stderr) => resolve({ status: err ? 1 : 0, stdout, stderr }),
          );
        });
      };
      const ok = await python({ name: 'Ada', times: 2 });
      expect(ok.stderr).toBe('');
      expect(JSON.parse(ok.stdout)).toEqual({ ok: true, output: { text: 'hello Ada, hello Ada', length: 20 } });
      const declared = await python({ name: 'nobody', times: 1 });
      expect(JSON.parse(declared.stdout)).toMatchObject({ ok: false, error: { code: 'SHY', defined: true } });
      const invalid = await python({ name: 'Ada', times: 9 });
      expect(JSON.parse(invalid.stdout)).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    } finally {
      await worker.close({ drainTimeoutMs: 500 });
      await insp.cleanup();
    }
  });
});
