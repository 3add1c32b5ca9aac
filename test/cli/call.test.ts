import { afterEach, describe, expect, it } from 'vitest';
import { lines, runTaskwire, taskwire } from '../support/cli-process.js';
import { opsEnv, type OpsEnv } from '../support/ops-env.js';

let env: OpsEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

const CONTRACT = 'test/cli/fixtures/ops-worker.ts';
const call = (e: OpsEnv, ...args: string[]) => runTaskwire(['call', ...args, '--contract', CONTRACT, '--redis', e.url, '--prefix', e.prefix]);

describe('taskwire call', () => {
  it('prints the output as readable JSON: Dates as ISO text, Sets as arrays; exit 0', async () => {
    env = await opsEnv();
    const r = await call(env, 'users.find', '{"id":1}');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ id: 1, name: 'Ada', since: '2024-01-02T00:00:00.000Z', roles: ['admin', 'ops'] });
  });

  it('a declared error: its code and data on one line, exit 1', async () => {
    env = await opsEnv();
    const r = await call(env, 'users.find', '{"id":2}');
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual(['taskwire call: users.find failed: NOT_FOUND (declared) {"id":2}']);
    expect(r.status).toBe(1);
  });

  it('input that breaks the schema is refused locally (VALIDATION, exit 2) and never sent', async () => {
    env = await opsEnv();
    const before = env.worker.stats.taken;
    const r = await call(env, 'users.find', '{"id":"one"}');
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toEqual(['taskwire call: users.find failed: VALIDATION: invalid input for users.find: id: Invalid input: expected number, received string']);
    expect(env.worker.stats.taken).toBe(before);
  });

  it('a call past its --timeout fails with TIMEOUT, exit 1', async () => {
    env = await opsEnv();
    const r = await call(env, 'math.slow', '{"ms":3000}', '--timeout', '200');
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^taskwire call: math\.slow failed: TIMEOUT: /) as unknown]);
  });

  it('no live worker: NO_WORKERS, exit 1, at once', async () => {
    env = await opsEnv({ startWorker: false });
    const r = await call(env, 'math.add', '{"a":1,"b":1}');
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual(['taskwire call: math.add failed: NO_WORKERS: no live worker serves queue "default" (task math.add)']);
  });

  it.each([
    ['malformed JSON', ['math.add', '{"a":1,'], 2, /^taskwire call: the input is not JSON: .+ \(quote it for the shell: '\{"a":1\}'\)$/],
    ['an unknown task', ['math.mul', '{}'], 2, /^taskwire call: unknown task "math\.mul" in test\/cli\/fixtures\/ops-worker\.ts#contract \(tasks: math\.add, math\.slow, users\.find, users\.sync\)$/],
    ['a missing contract file', ['math.add', '{}', '--contract', 'nope.ts'], 1, /^taskwire call: nope\.ts: file not found$/],
    ['a wrong export name', ['math.add', '{}', '--export', 'router'], 1, /^taskwire call: test\/cli\/fixtures\/ops-worker\.ts: no export named "router" \(its exports are: contract, handlers, syncHealth\)$/],
  ])('%s: one line and a non-zero exit', (_name, args, status, message) => {
    // Redis is never reached: each of these fails before connecting.
    const contract = args.includes('--contract') ? [] : ['--contract', CONTRACT];
    const r = taskwire(['call', ...args, ...contract, '--redis', 'redis://127.0.0.1:1']);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(message) as unknown]);
    expect(r.status).toBe(status);
    expect(r.stdout).toBe('');
  });

  it('without --contract: usage error naming the option', () => {
    const r = taskwire(['call', 'math.add', '{}']);
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toEqual(["taskwire call: required option '-c, --contract <file>' not specified (see taskwire call --help)"]);
  });
});
