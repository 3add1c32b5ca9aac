import { afterEach, expect, it } from 'vitest';
import { createAdmin, isTaskwireError } from '../../src/index.js';
import { expectedWork } from './support/fault-contract.js';
import { faultEnv, figure, privateRedis, type FaultEnv } from './support/fault-env.js';
import { Ledger } from './support/ledger.js';
import { Supervisor } from './support/supervisor.js';
import { pushRaw } from '../support/redis.js';

const redis = privateRedis();
let env: FaultEnv | undefined;
afterEach(async () => env?.cleanup());

const MAX_DELIVERIES = 3;

async function poisonBehind(concurrency: number, good: number) {
  const e = (env = await faultEnv(redis.server.url));
  const options = { concurrency, maxDeliveries: MAX_DELIVERIES, leaseMs: 1_000, maintenanceIntervalMs: 200, workerTtlMs: 1_500 };
  const client = e.client({ defaultTimeoutMs: 25_000, noWorkers: 'wait' });
  // Queued before any worker runs: the poison call first, the good ones behind it.
  const poison = client.poison({ id: 'poison' }).then(
    () => 'resolved',
    (err: unknown) => (isTaskwireError(err) ? err : String(err)),
  );
  const ledger = new Ledger();
  for (let i = 0; i < good; i++) {
    const input = { id: `g${i}`, n: i, ms: 5 };
    ledger.track(input.id, client.work(input), expectedWork(input));
  }
  const started = Date.now();
  const supervisor = new Supervisor(e, { options });
  const outcome = await poison;
  const deadLetteredMs = Date.now() - started;
  await ledger.settle(10_000);
  await supervisor.stop();
  const admin = createAdmin({ redis: e.url, prefix: e.prefix });
  try {
    const dead = await admin.deadLetters('default').list();
    const runs = e.log.runs();
    return { outcome, deadLetteredMs, crashes: supervisor.crashes, dead, poisonRuns: runs.get('poison') ?? 0, report: ledger.report(runs), deliveriesLeft: await e.redis.hlen(e.keys.deliveries) };
  } finally {
    await admin.close();
  }
}

it(`dead-letters a call that kills its worker process every time after ${MAX_DELIVERIES} deliveries; calls queued behind it complete (concurrency 1)`, { timeout: 30_000 }, async () => {
  const r = await poisonBehind(1, 20);
  figure('poison-call/concurrency-1', { ...r, dead: r.dead.map((d) => ({ reason: d.reason, callId: d.callId, task: d.task })) });

  expect(isTaskwireError(r.outcome) && r.outcome.code).toBe('DEAD_LETTERED');
  expect(r.poisonRuns).toBe(MAX_DELIVERIES);
  expect(r.crashes).toBe(MAX_DELIVERIES);
  expect(r.dead).toHaveLength(1);
  expect(r.dead[0]).toMatchObject({ reason: 'MAX_DELIVERIES', task: 'poison', error: { code: 'DEAD_LETTERED' } });
  expect(r.report).toMatchObject({ total: 20, ok: 20, wrong: 0, unknown: 0, lost: 0, duplicateOutcomes: 0 });
  expect(r.deliveriesLeft).toBe(0);
});

it('does not dead-letter the calls taken in the same batch as a poison call (concurrency 4): they complete', { timeout: 30_000 }, async () => {
  const r = await poisonBehind(4, 20);
  figure('poison-call/concurrency-4', { ...r, dead: r.dead.map((d) => ({ reason: d.reason, callId: d.callId, task: d.task })) });

  expect(isTaskwireError(r.outcome) && r.outcome.code).toBe('DEAD_LETTERED');
  expect(r.dead.map((d) => `${d.task} ${d.reason}`)).toEqual(['poison MAX_DELIVERIES']);
  expect(r.report).toMatchObject({ total: 20, ok: 20, wrong: 0, unknown: 0, lost: 0, duplicateOutcomes: 0 });
  expect(r.poisonRuns).toBeLessThanOrEqual(MAX_DELIVERIES);
  expect(r.deliveriesLeft).toBe(0);
});

it('sets a poison call aside unrun when its envelope does not begin {"v":1,"id":… (its deliveries could not be counted)', { timeout: 30_000 }, async () => {
  const e = (env = await faultEnv(redis.server.url));
  // Fields in another order: valid JSON, a known task, but the scripts' prefix match finds no id.
  const raw = JSON.stringify({ id: 'poison-reordered', v: 1, task: 'poison', input: { json: { id: 'poison-reordered' } }, deadline: Date.now() + 20_000, attempt: 1, sentAt: Date.now() });
  await pushRaw(e.redis,e.keys, raw);
  const supervisor = new Supervisor(e, { options: { concurrency: 1, maxDeliveries: MAX_DELIVERIES, leaseMs: 1_000, maintenanceIntervalMs: 200, workerTtlMs: 1_500 } });
  // Unfixed, it crashes a worker every lease (~1.3 s) and never reaches the dead stream.
  await expect.poll(() => e.redis.xlen(e.keys.dead), { timeout: 6_000, interval: 50 }).toBe(1).catch(() => undefined);
  await supervisor.stop();
  const dead = await e.redis.xrange(e.keys.dead, '-', '+');
  figure('poison-call/non-canonical', { crashes: supervisor.crashes, runs: e.log.runs().get('poison-reordered') ?? 0, dead: dead.length });

  expect(supervisor.crashes).toBe(0);
  expect(e.log.runs().get('poison-reordered') ?? 0).toBe(0);
  expect(dead).toHaveLength(1);
  expect(dead[0]?.[1][1]).toMatch(/^PROTOCOL: bad envelope: /);
});
