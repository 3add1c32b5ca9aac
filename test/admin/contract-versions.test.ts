import { afterEach, describe, expect, it } from 'vitest';
import { createAdmin, createClient, createWorker, type Handlers, type Worker } from '../../src/index.js';
import { contract as v1 } from '../codegen/skew/contract-v1.js';
import { contract as v2 } from '../codegen/skew/contract-v2.js';
import { taskwireInProcess } from '../support/cli-in-process.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

const v1Handlers: Handlers<typeof v1> = {
  users: { get: ({ id }) => ({ id, name: 'Ada', age: 36 }), rename: () => ({ ok: true }), find: ({ query }) => [query] },
};
const v2Handlers: Handlers<typeof v2> = {
  users: { get: ({ id }) => ({ id, name: 'Ada', age: 36 }), rename: () => ({ ok: true }), find: ({ query }) => [{ id: query }] },
  audit: () => 1,
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Workers of both versions on one prefix, each with its info and schema records written. */
async function mixedFleet(counts: { v1: number; v2: number }) {
  const prefix = randomPrefix();
  const url = redisUrl();
  const insp = inspector(prefix, url);
  cleanups.push(() => insp.cleanup());
  const workers: Worker[] = [];
  for (let i = 0; i < counts.v1; i++) workers.push(createWorker(v1, v1Handlers, { redis: url, prefix, logger: quietLogger, maintenanceIntervalMs: 50 }));
  for (let i = 0; i < counts.v2; i++) workers.push(createWorker(v2, v2Handlers, { redis: url, prefix, logger: quietLogger, maintenanceIntervalMs: 50 }));
  cleanups.push(async () => void (await Promise.all(workers.map((w) => w.close({ drainTimeoutMs: 200 })))));
  await Promise.all(workers.map((w) => w.start()));
  const admin = createAdmin({ redis: url, prefix });
  cleanups.push(() => admin.close());
  for (let t = 0; t < 100; t++) {
    const q = (await admin.overview({ queues: ['default'] })).queues[0];
    if (q && q.contracts.reduce((n, c) => n + c.workers, 0) === counts.v1 + counts.v2) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { prefix, url, admin };
}

describe('the live contract registry', () => {
  it('admin.overview() shows per queue which contract versions are served and by how many workers', async () => {
    const { admin } = await mixedFleet({ v1: 2, v2: 1 });
    const [queue] = (await admin.overview({ queues: ['default'] })).queues;
    expect(queue?.contracts.map((c) => c.workers)).toEqual([2, 1]);
    const [old, now] = queue?.contracts ?? [];
    expect(old?.tasks.map((t) => t.path)).toEqual(['users.find', 'users.get', 'users.rename']);
    expect(now?.tasks.map((t) => t.path)).toEqual(['audit', 'users.find', 'users.get', 'users.rename']);
    expect(old?.version).not.toBe(now?.version);
    expect(now?.tasks.every((t) => typeof t.digest === 'string')).toBe(true);
  });

  it('taskwire inspect lists the versions, and for each the tasks in which it differs', async () => {
    const { prefix, url } = await mixedFleet({ v1: 1, v2: 2 });
    const r = await taskwireInProcess(['inspect', '--redis', url, '--prefix', prefix]);
    expect(r.stderr).toBe('');
    const rows = r.stdout.split('\n').filter((l) => /^default\s+[0-9a-f]{12}\s/.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^default\s+[0-9a-f]{12}\s+2\s+audit@[0-9a-f]{8}, users\.find@/);
    expect(rows[1]).toMatch(/^default\s+[0-9a-f]{12}\s+1\s+users\.find@/);
    expect(rows[1]).not.toMatch(/audit/);
  });

  it("client.$check() gives the verdicts of taskwire breaking against each live version, before any call", async () => {
    const { prefix, url } = await mixedFleet({ v1: 1, v2: 1 });
    const client = createClient(v1, { redis: url, prefix });
    cleanups.push(() => client.$close());
    const check = await client.$check();
    expect(check.ok).toBe(false);
    const byTask = new Map(check.tasks.map((t) => [t.task, t]));
    expect(byTask.get('users.get')?.verdict).toBe('safe');
    const rename = byTask.get('users.rename');
    expect(rename?.verdict).toBe('breaking');
    // Safe against its own version, breaking against the new one, naming the field and the code.
    expect(rename?.versions.map((v) => v.verdict).sort()).toEqual(['breaking', 'safe']);
    const problem = rename?.versions.find((v) => v.verdict === 'breaking')?.problems[0];
    expect(problem).toMatchObject({ task: 'users.rename', field: 'input.reason', runtime: 'CONTRACT_MISMATCH' });
    expect(byTask.get('users.find')?.versions.find((v) => v.verdict === 'breaking')?.problems[0]?.runtime).toBe('CONTRACT_MISMATCH');
    // And the runtime agrees: the call the check calls breaking does fail that way against v2 workers alone.
  });

  it('$check() of a new client against old workers only: the task they lack is UNKNOWN_TASK, a queue nobody serves NO_WORKERS', async () => {
    const { prefix, url } = await mixedFleet({ v1: 1, v2: 0 });
    const client = createClient(v2, { redis: url, prefix });
    cleanups.push(() => client.$close());
    const check = await client.$check();
    const audit = check.tasks.find((t) => t.task === 'audit');
    expect(audit?.versions[0]?.problems[0]).toMatchObject({ field: 'task', runtime: 'UNKNOWN_TASK' });
    const empty = createClient(v1, { redis: url, prefix: randomPrefix() });
    cleanups.push(() => empty.$close());
    const none = await empty.$check();
    expect(none.ok).toBe(false);
    expect(none.tasks.every((t) => t.versions[0]?.problems[0]?.runtime === 'NO_WORKERS')).toBe(true);
  });
});
