import { afterEach, expect, it } from 'vitest';
import { connectionNames as names, killConnections } from './support/connections.js';
import { faultEnv, figure, privateRedis, type FaultEnv, type FaultClient } from './support/fault-env.js';
import type { LedgerReport } from './support/ledger.js';
import { Load, timeToService } from './support/load.js';
import type { FaultWorker } from './support/spawn-worker.js';

// DEBUG is off by default since Redis 7.
const redis = privateRedis({ 'enable-debug-command': 'yes' });
let env: FaultEnv | undefined;
afterEach(async () => env?.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TIMEOUT_MS = 5_000;
/** Timer lateness allowed past a deadline on a loaded 2-core machine. */
const SLACK_MS = 500;

/**
 * Runs steady traffic against one worker process, applies `fault` half a second in, then
 * measures how long until calls succeed again, and scores every call. One worker, so calls
 * succeeding afterwards prove that this very worker resumed taking them.
 */
async function underLoad(
  name: string,
  fault: (env: FaultEnv, worker: FaultWorker, client: FaultClient) => Promise<Record<string, unknown>>,
): Promise<{ reports: Record<string, LedgerReport>; takenAfter: number }> {
  env = await faultEnv(redis.server.url);
  const worker = await env.worker({ options: { concurrency: 32, leaseMs: 1_000, maintenanceIntervalMs: 200, workerTtlMs: 1_500 } });
  const client = env.client();
  const load = new Load(client, { idPrefix: 'c', perRound: 5, pauseMs: 20, maxRounds: 1_000, ms: (n) => (n % 20 < 2 ? 300 : 5), timeoutMs: TIMEOUT_MS });
  await sleep(500);
  load.phase = 'fault';
  const detail = await fault(env, worker, client);
  const over = Date.now();
  load.phase = 'after';
  const takenBefore = (await worker.probe()).stats.taken;
  const [keyResumeMs, pubsubResumeMs] = await Promise.all([
    timeToService(client, { since: over, idPrefix: 'rk', replyMode: 'key' }),
    timeToService(client, { since: over, idPrefix: 'rp', replyMode: 'pubsub' }),
  ]);
  await load.stop();
  await load.settle(TIMEOUT_MS + 2_000);
  await sleep(200); // late duplicate replies reach the tap
  const runs = env.log.runs();
  const reports: Record<string, LedgerReport> = {};
  for (const [phase, ledger] of load.ledgers()) reports[phase] = ledger.report(runs);
  const stats = (await worker.probe()).stats;
  const replies = env.tap.summary();
  figure(`connection-faults/${name}`, { ...detail, keyResumeMs, pubsubResumeMs, issued: load.issued, reports, replies, worker: stats });

  for (const [phase, r] of Object.entries(reports)) {
    expect(r, phase).toMatchObject({ wrong: 0, unknown: 0, duplicateOutcomes: 0, okWithoutRun: 0 });
    expect(r.maxOverDeadlineMs, phase).toBeLessThanOrEqual(SLACK_MS);
    // Key mode keeps results in the client's replies hash across reconnects: every call succeeds.
    if (phase.endsWith('/key')) expect(r.ok, phase).toBe(r.total);
    // Pub/sub replies published while a subscriber reconnects are lost by design: TIMEOUT, never a hang.
    else expect(r.ok + (r.errors['TIMEOUT'] ?? 0), phase).toBe(r.total);
  }
  // Calls may run twice (a lease expired during the fault), but a second reply is always fenced off.
  expect(replies.duplicates).toBe(0);
  expect(keyResumeMs).toBeLessThan(3_000);
  expect(pubsubResumeMs).toBeLessThan(3_000);
  expect(worker.alive).toBe(true);
  return { reports, takenAfter: stats.taken - takenBefore };
}

it('resumes after CLIENT KILL of every connection of a worker and of a client under load, losing no key-mode call', { timeout: 30_000 }, async () => {
  const { takenAfter } = await underLoad('client-kill', async (e, worker, client) => {
    const w = worker.workerId;
    const c = client.$id;
    const all = [
      names.workerFetcher(w), names.workerCommands(w), names.workerCancel(w),
      names.clientCommands(c), names.clientInbox(c), names.clientPubSub(c),
    ];
    const blocking = [names.workerFetcher(w), names.clientInbox(c)];
    // Cut everything, again while they reconnect, then the blocking readers alone.
    const rounds = [await killConnections(e.redis, all)];
    await sleep(150);
    rounds.push(await killConnections(e.redis, all));
    await sleep(300);
    rounds.push(await killConnections(e.redis, blocking));
    expect(rounds[0]).toEqual([...all].sort());
    expect(rounds[2]).toEqual([...blocking].sort());
    return { killed: rounds.map((r) => r.length) };
  });
  expect(takenAfter).toBeGreaterThan(0);
});

it('rides out CLIENT PAUSE longer than the lease under load: one outcome and one reply per call', { timeout: 30_000 }, async () => {
  const { reports } = await underLoad('client-pause', async (e) => {
    await e.redis.client('PAUSE', 1_500, 'ALL');
    await sleep(1_500);
    return { pauseMs: 1_500 };
  });
  // Traffic kept coming during the pause and was served afterwards.
  expect(reports['fault/key']?.ok).toBeGreaterThan(0);
});

it('rides out DEBUG SLEEP under load: nothing stays pending and consumption resumes', { timeout: 30_000 }, async () => {
  await underLoad('debug-sleep', async (e) => {
    // Sent on a connection of its own: it answers only when the server wakes up.
    const sleeper = e.redis.duplicate();
    try {
      const started = Date.now();
      await sleeper.call('DEBUG', 'SLEEP', '1.5');
      return { sleptMs: Date.now() - started };
    } finally {
      sleeper.disconnect();
    }
  });
});
