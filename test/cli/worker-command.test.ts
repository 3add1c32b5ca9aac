import { afterEach, describe, expect, it } from 'vitest';
import { CliProcess, lines, taskwire } from '../support/cli-process.js';
import { opsEnv, type OpsEnv } from '../support/ops-env.js';

let env: OpsEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 8_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('taskwire worker', () => {
  it("runs a module's contract and handlers with --concurrency, serves calls, and on SIGTERM drains and exits 0", async () => {
    env = await opsEnv({ startWorker: false });
    const e = env;
    const w = new CliProcess(['worker', 'test/cli/fixtures/ops-worker.ts', '--concurrency', '3', '--redis', e.url, '--prefix', e.prefix]);
    await w.waitFor(/^taskwire worker [0-9a-f-]{36} serving test\/cli\/fixtures\/ops-worker\.ts at /m, 15_000, 'stderr');
    expect(await e.client.math.add({ a: 20, b: 22 })).toBe(42);
    const o = await until(() => e.admin.overview(), (v) => v.workers.length === 1);
    expect(o.workers[0]).toMatchObject({ pid: w.proc.pid, concurrency: 3, queues: ['default', 'users'] });
    // A call still running when SIGTERM arrives finishes: the worker drains before it exits.
    const slow = e.client.math.slow({ ms: 600 });
    await until(() => e.admin.counts('default'), (c) => c.running === 1);
    expect(await w.stop('SIGTERM')).toBe(0);
    await expect(slow).resolves.toBe('done');
    expect(w.stderr).toContain('taskwire worker: SIGTERM, draining');
    expect((await e.admin.overview()).workers).toEqual([]);
  });

  it('runs a ready-made worker a module exports, with its own options', async () => {
    env = await opsEnv({ startWorker: false });
    const e = env;
    const w = new CliProcess(['worker', 'test/cli/fixtures/ops-ready-worker.ts'], { env: { OPS_REDIS_URL: e.url, OPS_PREFIX: e.prefix } });
    await w.waitFor(/serving .* at its own options/, 15_000, 'stderr');
    expect(await e.client.math.add({ a: 1, b: 2 })).toBe(3);
    const o = await e.admin.overview();
    expect(o.workers[0]).toMatchObject({ concurrency: 2, queues: ['default'] });
    expect(await w.stop('SIGINT')).toBe(0);
  });

  it.each([
    ['a module that does not exist', ['missing.ts', '--redis', 'redis://127.0.0.1:1'], 1, /^taskwire worker: missing\.ts: file not found$/],
    ['a module without a contract', ['test/cli/fixtures/ops-worker-handlers-only.mjs', '--redis', 'redis://127.0.0.1:1'], 1, /^taskwire worker: .*: no export named "contract" \(its exports are: handlers\)$/],
    ['a bad --concurrency', ['test/cli/fixtures/ops-worker.ts', '--concurrency', 'lots'], 2, /^taskwire worker: bad --concurrency "lots": a whole number ≥ 1$/],
    ['options a ready-made worker cannot take', ['test/cli/fixtures/ops-ready-worker.ts', '--concurrency', '4'], 2, /exports a ready-made worker: its own options apply/],
  ])('%s: one line and a non-zero exit', (_name, args, status, message) => {
    const r = taskwire(['worker', ...args]);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(message) as unknown]);
    expect(r.status).toBe(status);
  });

  it('an unreachable Redis: one line, exit 1, no hang', () => {
    const r = taskwire(['worker', 'test/cli/fixtures/ops-worker.ts', '--redis', 'redis://127.0.0.1:1']);
    expect(lines(r.stderr)).toEqual(['taskwire worker: cannot reach Redis at redis://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1']);
    expect(r.status).toBe(1);
  });
});
