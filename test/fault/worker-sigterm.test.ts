import { afterEach, expect, it } from 'vitest';
import { expectedWork } from './support/fault-contract.js';
import { faultEnv, figure, privateRedis, type FaultEnv } from './support/fault-env.js';
import { Ledger } from './support/ledger.js';

const redis = privateRedis();
let env: FaultEnv | undefined;
afterEach(async () => env?.cleanup());

const options = { concurrency: 16, leaseMs: 1_000, maintenanceIntervalMs: 200, workerTtlMs: 1_500 };

/** 2 worker processes (both closing on SIGTERM via worker.closeOnSignals()), `calls` calls of `ms` each. */
async function busyWorkers(calls: number, ms: number, victimDrainMs?: number) {
  const e = (env = await faultEnv(redis.server.url));
  const [victim, other] = await Promise.all([
    e.worker({ options: victimDrainMs === undefined ? options : { ...options, drainTimeoutMs: victimDrainMs } }),
    e.worker({ options }),
  ]);
  const client = e.client({ defaultTimeoutMs: 20_000 });
  const ledger = new Ledger();
  for (let i = 0; i < calls; i++) {
    const input = { id: `t${i}`, n: i, ms };
    ledger.track(input.id, client.work(input, { replyMode: i % 2 ? 'pubsub' : 'key' }), expectedWork(input));
  }
  await expect.poll(async () => (await victim.probe()).running, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(8);
  const runningAtSignal = (await victim.probe()).running;
  const signalledAt = Date.now();
  victim.signal('SIGTERM');
  const exit = await victim.exited;
  const exitMs = Date.now() - signalledAt;
  await ledger.settle(15_000);
  await new Promise((r) => setTimeout(r, 300)); // late duplicate replies reach the tap
  return { e, victim, other, ledger, runningAtSignal, exit, exitMs };
}

it('drains calls in flight on SIGTERM: they finish on the same worker, the process exits 0, nothing runs twice', { timeout: 30_000 }, async () => {
  const { e, victim, ledger, runningAtSignal, exit, exitMs } = await busyWorkers(48, 400);
  const report = ledger.report(e.log.runs());
  const final = victim.finalStats();
  figure('worker-sigterm/drain', { runningAtSignal, exit, exitMs, ...report, replies: e.tap.summary(), victim: final });

  expect(exit).toEqual({ code: 0, signal: null });
  expect(exitMs).toBeLessThan(3_000);
  expect(report).toMatchObject({ total: 48, ok: 48, wrong: 0, unknown: 0, lost: 0, duplicateOutcomes: 0, duplicateRuns: 0 });
  // Every call the victim started, it finished and replied to; none was handed back.
  expect(final?.started).toBeGreaterThanOrEqual(runningAtSignal);
  expect(final).toMatchObject({ succeeded: final?.started, fenced: 0, failed: 0 });
  expect(e.tap.summary()).toEqual({ replies: 48, calls: 48, duplicates: 0 });
});

it('hands calls still running when the drain time ends back to the queue: another worker completes them, the process exits 0', { timeout: 30_000 }, async () => {
  const { e, victim, ledger, runningAtSignal, exit, exitMs } = await busyWorkers(40, 1_000, 200);
  const report = ledger.report(e.log.runs());
  const final = victim.finalStats();
  figure('worker-sigterm/hand-back', { runningAtSignal, exit, exitMs, ...report, replies: e.tap.summary(), victim: final });

  expect(exit).toEqual({ code: 0, signal: null });
  expect(exitMs).toBeLessThan(1_500); // drain 200 ms, then hand back: no wait for the 1 s handlers
  // No caller sees the CLOSED its handler got: the call went back to the queue and ran again.
  expect(report).toMatchObject({ total: 40, ok: 40, wrong: 0, unknown: 0, lost: 0, duplicateOutcomes: 0, errors: {} });
  expect(report.callsRunTwiceOrMore).toBe(final?.fenced);
  expect(report.duplicateRuns).toBeLessThanOrEqual(options.concurrency);
  expect(final?.succeeded).toBe(0);
  expect(e.tap.summary()).toEqual({ replies: 40, calls: 40, duplicates: 0 });
});
