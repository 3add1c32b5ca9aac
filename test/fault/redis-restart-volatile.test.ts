import { afterEach, expect, it } from 'vitest';
import { faultEnv, figure, privateRedis, type FaultEnv } from './support/fault-env.js';
import type { LedgerReport } from './support/ledger.js';
import { Load, timeToService } from './support/load.js';

// No AOF, no RDB: a restart loses every queued and running call.
const redis = privateRedis();
let env: FaultEnv | undefined;
afterEach(async () => env?.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TIMEOUT_MS = 3_000;
/** Timer lateness allowed past a deadline on a loaded 2-core machine. */
const SLACK_MS = 500;
/** What a caller may get for a call Redis forgot: its deadline passed, Redis was unreachable, or no worker had re-announced itself yet. */
const EXPECTED_ERRORS = new Set(['TIMEOUT', 'CONNECTION', 'NO_WORKERS']);

it('settles every pending call by its deadline when a Redis without persistence restarts, and serves again within seconds', { timeout: 30_000 }, async () => {
  env = await faultEnv(redis.server.url);
  const options = { concurrency: 16, leaseMs: 2_000, maintenanceIntervalMs: 200, workerTtlMs: 3_000 };
  const workers = await Promise.all([env.worker({ options }), env.worker({ options })]);
  const client = env.client();
  const load = new Load(client, { idPrefix: 'v', perRound: 5, pauseMs: 20, maxRounds: 1_000, ms: (n) => (n % 10 < 2 ? 300 : 5), timeoutMs: TIMEOUT_MS });
  await sleep(1_000);
  load.phase = 'down';
  await redis.server.kill('SIGTERM');
  const downAt = Date.now();
  await sleep(1_000);
  await redis.server.restart();
  const upAt = Date.now();
  load.phase = 'after';
  const [keyResumeMs, pubsubResumeMs] = await Promise.all([
    timeToService(client, { since: upAt, idPrefix: 'rk', replyMode: 'key' }),
    timeToService(client, { since: upAt, idPrefix: 'rp', replyMode: 'pubsub' }),
  ]);
  await load.stop();
  await load.settle(TIMEOUT_MS + 2_000);
  const runs = env.log.runs();
  const reports: Record<string, LedgerReport> = {};
  for (const [name, ledger] of load.ledgers()) reports[name] = ledger.report(runs);

  // Served again: a batch made now succeeds whole, in both reply modes.
  const after = await Promise.allSettled(
    Array.from({ length: 200 }, (_, i) => client.work({ id: `b${i}`, n: i, ms: 5 }, { replyMode: i % 2 ? 'pubsub' : 'key', timeoutMs: 5_000 })),
  );
  const stats = await Promise.all(workers.map(async (w) => (await w.probe()).stats));
  figure('redis-restart-volatile', { downtimeMs: upAt - downAt, keyResumeMs, pubsubResumeMs, issued: load.issued, reports, batchAfterOk: after.filter((r) => r.status === 'fulfilled').length, workers: stats });

  for (const [name, r] of Object.entries(reports)) {
    expect(r, name).toMatchObject({ wrong: 0, unknown: 0, duplicateOutcomes: 0 });
    expect(Object.keys(r.errors).filter((code) => !EXPECTED_ERRORS.has(code)), name).toEqual([]);
    expect(r.maxOverDeadlineMs, name).toBeLessThanOrEqual(SLACK_MS);
  }
  // Calls made before the restart and not answered by then were lost with Redis: they must end in an error, not hang.
  expect(reports['before/key']?.ok).toBeLessThan(reports['before/key']?.total ?? 0);
  expect(keyResumeMs).toBeLessThan(5_000);
  expect(pubsubResumeMs).toBeLessThan(5_000);
  expect(after.every((r) => r.status === 'fulfilled')).toBe(true);
  expect(workers.every((w) => w.alive)).toBe(true);
});
