import { afterEach, describe, expect, it } from 'vitest';
import { createAdmin, type Admin } from '../../src/index.js';
import { decodeWorkerInfo, THROUGHPUT_SECONDS } from '../../src/wire/worker-info.js';
import { queueKeys } from '../../src/wire/keys.js';
import { ownPackage } from '../../src/own-package.js';
import { fingerprintTask } from '../../src/contract/fingerprint.js';
import { contract, setup } from '../support/fixtures.js';

type Env = Awaited<ReturnType<typeof setup>>;
let env: Env | undefined;
let admin: Admin | undefined;
afterEach(async () => {
  await admin?.close();
  await env?.cleanup();
  admin = undefined;
  env = undefined;
});

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("a worker's info record", () => {
  it('is written on start on each queue it serves with host, pid, version, concurrency, queues and its tasks with fingerprints', async () => {
    env = await setup({ worker: { concurrency: 7 } });
    const raw = await env.redis.get(queueKeys(env.prefix, 'images').worker(env.worker.id));
    expect(raw).not.toBeNull();
    const info = decodeWorkerInfo(raw ?? '');
    expect(info).toMatchObject({
      id: env.worker.id,
      pid: process.pid,
      version: ownPackage().version,
      concurrency: 7,
      queues: ['images', 'default'],
      tasks: [{ path: 'tasks.resize', fingerprint: fingerprintTask(contract.tasks.resize) }],
    });
    expect(info?.throughput.succeeded).toHaveLength(THROUGHPUT_SECONDS);
    const onDefault = decodeWorkerInfo((await env.redis.get(queueKeys(env.prefix, 'default').worker(env.worker.id))) ?? '');
    expect(onDefault?.tasks.map((t) => t.path)).toEqual(['math.add', 'math.echo', 'math.slow', 'math.bad', 'math.boom']);
    // It lives as long as a heartbeat counts, so a worker that dies takes it along.
    const ttl = await env.redis.pttl(queueKeys(env.prefix, 'images').worker(env.worker.id));
    expect(ttl).toBeGreaterThan(8_000);
    expect(ttl).toBeLessThanOrEqual(10_000);
  });

  it('is deleted when the worker closes', async () => {
    env = await setup();
    const key = queueKeys(env.prefix, 'default').worker(env.worker.id);
    expect(await env.redis.exists(key)).toBe(1);
    await env.worker.close();
    expect(await env.redis.exists(key)).toBe(0);
  });
});

describe('admin.overview()', () => {
  it('counts calls per second over the last minute from the workers’ records, per queue', async () => {
    env = await setup({ worker: { maintenanceIntervalMs: 100 } });
    admin = createAdmin({ redis: env.url, prefix: env.prefix });
    await Promise.all(Array.from({ length: 30 }, (_, i) => env?.client.math.add({ a: i, b: 1 })));
    await expect(env.client.math.boom({ message: 'x' })).rejects.toThrow();
    const o = await until(() => (admin as Admin).overview(), (v) => v.queues.find((q) => q.name === 'default')?.throughput.succeeded.reduce((a, b) => a + b, 0) === 30);
    const q = o.queues.find((x) => x.name === 'default');
    expect(q?.throughput.succeeded.reduce((a, b) => a + b, 0)).toBe(30);
    expect(q?.throughput.failed.reduce((a, b) => a + b, 0)).toBe(1);
    expect(q?.callsPerSecond).toBe(Math.round((31 / 60) * 100) / 100);
    expect(o.queues.find((x) => x.name === 'images')?.callsPerSecond).toBe(0);
    expect(o.workers).toHaveLength(1);
    expect(o.workers[0]).toMatchObject({ id: env.worker.id, queues: ['default', 'images'], pid: process.pid, concurrency: 16 });
    expect(o.workers[0]?.heartbeatAgeMs).toBeLessThan(2_000);
  });

  it("says how old the call at the head of the wait list is, and finds the queues under the prefix", async () => {
    env = await setup({ startWorker: false, client: { noWorkers: 'wait' } });
    admin = createAdmin({ redis: env.url, prefix: env.prefix });
    expect(await admin.queues()).toEqual([]);
    const pending = env.client.math.add({ a: 1, b: 2 }, { timeoutMs: 5_000 }).catch(() => undefined);
    await until(() => (admin as Admin).counts('default'), (c) => c.waiting === 1);
    await new Promise((r) => setTimeout(r, 300));
    const o = await admin.overview();
    expect(o.queues.map((q) => q.name)).toContain('default');
    const q = o.queues.find((x) => x.name === 'default');
    expect(q).toMatchObject({ waiting: 1, running: 0, workers: 0 });
    expect(q?.oldestWaitingMs).toBeGreaterThanOrEqual(250);
    expect(q?.oldestWaitingMs).toBeLessThan(5_000);
    expect(o.workers).toEqual([]);
    await env.worker.start();
    await pending;
    const after = await until(() => (admin as Admin).overview({ queues: ['default'] }), (v) => v.queues[0]?.waiting === 0);
    expect(after.queues[0]?.oldestWaitingMs).toBeNull();
  });
});
