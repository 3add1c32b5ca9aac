import { afterEach, expect, it } from 'vitest';
import { expectedWork } from './support/fault-contract.js';
import { faultEnv, figure, privateRedis, type FaultEnv } from './support/fault-env.js';
import { Ledger } from './support/ledger.js';

const redis = privateRedis();
let env: FaultEnv | undefined;
afterEach(async () => env?.cleanup());

const LEASE_MS = 1_000;
const MAINTENANCE_MS = 200;
const WORKER_TTL_MS = 1_500;
const CONCURRENCY = 32;

it('settles 1,000 in-flight calls exactly once with the right result after a worker is SIGKILLed', { timeout: 30_000 }, async () => {
  env = await faultEnv(redis.server.url);
  const options = { concurrency: CONCURRENCY, leaseMs: LEASE_MS, maintenanceIntervalMs: MAINTENANCE_MS, workerTtlMs: WORKER_TTL_MS };
  const [victim, survivor] = await Promise.all([env.worker({ options }), env.worker({ options })]);
  const client = env.client({ defaultTimeoutMs: 30_000 });
  const ledger = new Ledger();
  for (let i = 0; i < 1_000; i++) {
    const input = { id: `c${i}`, n: i, ms: 40 };
    // Both reply modes: a fencing failure would show as a second SET or a second PUBLISH.
    ledger.track(input.id, client.work(input, { replyMode: i % 2 ? 'pubsub' : 'key' }), expectedWork(input));
  }
  await expect.poll(async () => (await victim.probe()).stats.started, { timeout: 10_000, interval: 20 }).toBeGreaterThan(50);
  const inFlightAtKill = ledger.unsettled;
  victim.signal('SIGKILL');
  const killedAt = Date.now();
  expect((await victim.exited).signal).toBe('SIGKILL');

  // Claim lists come back after the worker ttl, leases after their expiry; the reaper runs every interval.
  const boundMs = Math.max(LEASE_MS, WORKER_TTL_MS) + MAINTENANCE_MS + 3_000;
  await ledger.settle(boundMs);
  const recoveryMs = ledger.lastSettledAt() - killedAt;
  await new Promise((r) => setTimeout(r, 300)); // let any late duplicate reply reach the tap
  const report = ledger.report(env.log.runs());
  const replies = env.tap.summary();
  figure('worker-sigkill', { inFlightAtKill, recoveryMs, boundMs, ...report, replies, survivor: (await survivor.probe()).stats });

  expect(report).toMatchObject({ total: 1_000, ok: 1_000, wrong: 0, unknown: 0, lost: 0, duplicateOutcomes: 0, okWithoutRun: 0 });
  expect(recoveryMs).toBeLessThanOrEqual(boundMs);
  expect(replies).toEqual({ replies: 1_000, calls: 1_000, duplicates: 0 });
  // Only calls the victim had started can run twice: at most its concurrency.
  expect(report.duplicateRuns).toBeLessThanOrEqual(CONCURRENCY);
});

it('hands a SIGKILLed worker\'s calls to another worker when its heartbeat stops, not when their 30 s leases expire (default settings)', { timeout: 60_000 }, async () => {
  env = await faultEnv(redis.server.url);
  // Default lease (30 s), heartbeat ttl (10 s), maintenance (1 s) and concurrency (16).
  const [victim, survivor] = await Promise.all([env.worker({ options: {} }), env.worker({ options: {} })]);
  const client = env.client({ defaultTimeoutMs: 60_000 });
  const ledger = new Ledger();
  for (let i = 0; i < 1_000; i++) {
    const input = { id: `d${i}`, n: i, ms: 40 };
    ledger.track(input.id, client.work(input), expectedWork(input));
  }
  await expect.poll(async () => (await victim.probe()).stats.started, { timeout: 10_000, interval: 20 }).toBeGreaterThan(50);
  victim.signal('SIGKILL');
  const killedAt = Date.now();
  expect((await victim.exited).signal).toBe('SIGKILL');
  // The heartbeat's ttl and a maintenance tick, with room for a loaded machine; the lease is 30 s.
  const boundMs = 10_000 + 1_000 + 5_000;
  await ledger.settle(boundMs + 5_000);
  const recoveryMs = ledger.lastSettledAt() - killedAt;
  const report = ledger.report(env.log.runs());
  figure('worker-sigkill-defaults', { recoveryMs, boundMs, leaseMs: 30_000, ...report, survivor: (await survivor.probe()).stats });
  expect(report).toMatchObject({ total: 1_000, ok: 1_000, wrong: 0, lost: 0, duplicateOutcomes: 0 });
  expect(recoveryMs).toBeLessThanOrEqual(boundMs);
  expect(report.duplicateRuns).toBeLessThanOrEqual(16);
});
