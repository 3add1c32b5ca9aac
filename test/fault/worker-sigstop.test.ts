import { afterEach, expect, it } from 'vitest';
import { expectedWork } from './support/fault-contract.js';
import { faultEnv, figure, privateRedis, type FaultEnv } from './support/fault-env.js';
import { Ledger } from './support/ledger.js';

const redis = privateRedis();
let env: FaultEnv | undefined;
afterEach(async () => env?.cleanup());

it('fences a worker frozen past its lease: another finishes its calls and the thawed one sends no second reply', { timeout: 30_000 }, async () => {
  env = await faultEnv(redis.server.url);
  const options = { concurrency: 16, leaseMs: 1_000, maintenanceIntervalMs: 200, workerTtlMs: 1_500 };
  const [frozen, other] = await Promise.all([env.worker({ options }), env.worker({ options })]);
  const client = env.client({ defaultTimeoutMs: 20_000 });
  const ledger = new Ledger();
  for (let i = 0; i < 100; i++) {
    const input = { id: `s${i}`, n: i, ms: 300 };
    ledger.track(input.id, client.work(input, { replyMode: i % 2 ? 'pubsub' : 'key' }), expectedWork(input));
  }
  await expect.poll(async () => (await frozen.probe()).running, { timeout: 10_000, interval: 20 }).toBeGreaterThan(8);
  frozen.signal('SIGSTOP');
  const stoppedAt = Date.now();

  // The other worker reaps the expired leases and runs the calls.
  await ledger.settle(15_000);
  const settledAfterStopMs = ledger.lastSettledAt() - stoppedAt;
  const before = env.tap.summary();
  frozen.signal('SIGCONT');
  // The thawed worker's handlers finish (or see their lease lost) and try to settle: fenced.
  await expect.poll(async () => (await frozen.probe()).running, { timeout: 5_000 }).toBe(0);
  await new Promise((r) => setTimeout(r, 500));
  const thawed = await frozen.probe();
  const report = ledger.report(env.log.runs());
  const after = env.tap.summary();
  figure('worker-sigstop', { settledAfterStopMs, ...report, repliesBeforeThaw: before, repliesAfterThaw: after, frozen: thawed.stats, other: (await other.probe()).stats });

  expect(report).toMatchObject({ total: 100, ok: 100, wrong: 0, unknown: 0, lost: 0, duplicateOutcomes: 0 });
  expect(report.duplicateRuns).toBeGreaterThan(0); // the frozen worker's calls did run twice...
  expect(thawed.stats.fenced).toBeGreaterThanOrEqual(report.callsRunTwiceOrMore); // ...but each late result was dropped
  expect(after).toEqual({ replies: 100, calls: 100, duplicates: 0 });
});
