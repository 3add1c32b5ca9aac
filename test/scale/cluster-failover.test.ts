import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient, createWorker, type ClientOptions, type Worker } from '../../src/index.js';
import { queueKeys } from '../../src/wire/keys.js';
import { faultContract, faultHandlers } from '../fault/support/fault-contract.js';
import { figure, type FaultClient } from '../fault/support/fault-env.js';
import type { LedgerReport } from '../fault/support/ledger.js';
import { Load, timeToService } from '../fault/support/load.js';
import { quietLogger } from '../support/fixtures.js';
import { randomPrefix } from '../support/redis.js';
import { RedisCluster } from '../support/redis-cluster.js';

/**
 * SIGKILL the primary that holds a busy queue's slot on a 3+3 Cluster under load: its replica
 * takes over and the same client and workers serve again, with every call settled by its
 * deadline and none answered twice. Replication is asynchronous, so writes acknowledged by the
 * dead primary and not yet copied are gone: those calls are counted as lost, not hidden.
 */

/**
 * The durability option (enqueues and completions WAIT for a replica; docs/SENTINEL.md), given to
 * every client and worker of a case: off, the loss is measured and reported; on, none is lost.
 */
type Durability = Pick<ClientOptions, 'durability'>;
const DURABILITY: Durability = {};

const TIMEOUT_MS = 6_000;
/** Timer lateness allowed past a deadline on a loaded 2-core machine. */
const SLACK_MS = 500;
/** What a caller may get for a call the dead primary took with it or could not take in time. */
const EXPECTED_ERRORS = new Set(['TIMEOUT', 'CONNECTION', 'NO_WORKERS']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cluster: RedisCluster | undefined;
const workers: Worker[] = [];
let client: FaultClient | undefined;

beforeAll(async () => {
  cluster = await RedisCluster.start(3, { replicas: 1, nodeTimeoutMs: 1_000 });
});
afterAll(async () => {
  await client?.$close();
  await Promise.all(workers.map((w) => w.close({ drainTimeoutMs: 500 })));
  await cluster?.stop();
});

it('serves again after the primary of a busy queue is SIGKILLed and its replica takes over, answering no call twice', async () => {
  if (!cluster) throw new Error('cluster not started');
  client = await killBusyPrimary(cluster, DURABILITY, 'cluster-failover');
});

it('with durability { replicas: 1 }: loses no call when the primary of a busy queue is SIGKILLed', async () => {
  // Two replicas per primary: after the failover the promoted one still has a replica to WAIT for
  // (with one, every write would wait in vain until the dead primary came back as a replica).
  const own = await RedisCluster.start(3, { replicas: 2, nodeTimeoutMs: 1_000 });
  const before = workers.length;
  let c: FaultClient | undefined;
  try {
    c = await killBusyPrimary(own, { durability: { replicas: 1, timeoutMs: 500 } }, 'cluster-failover/durability', (total) => expect(total.lost).toBe(0));
  } finally {
    await c?.$close();
    await Promise.all(workers.splice(before).map((w) => w.close({ drainTimeoutMs: 500 })));
    await own.stop();
  }
});

/** The case above, on `cluster`, with `durability`: answers the client it made (the workers are closed in afterAll). */
async function killBusyPrimary(cluster: RedisCluster, durability: Durability, name: string, check?: (total: { calls: number; lost: number; duplicateRuns: number }) => void): Promise<FaultClient> {
  const prefix = randomPrefix();
  const redis = { cluster: cluster.nodes };
  const runs = new Map<string, number>();
  const record = (id: string) => runs.set(id, (runs.get(id) ?? 0) + 1);
  const options = { redis, prefix, logger: quietLogger, concurrency: 16, leaseMs: 2_000, maintenanceIntervalMs: 200, workerTtlMs: 3_000, ...durability };
  for (let i = 0; i < 2; i++) {
    const w = createWorker(faultContract, faultHandlers(record), options);
    workers.push(w);
    await w.start();
  }
  const client = createClient(faultContract, { redis, prefix, ...durability });
  const busy = cluster.portOf(queueKeys(prefix, 'default').wait);
  const replicas = cluster.replicasOf(busy);
  expect(replicas.length).toBeGreaterThan(0);

  const load = new Load(client, { idPrefix: 'f', perRound: 10, pauseMs: 20, maxRounds: 100_000, ms: (n) => (n % 10 < 2 ? 200 : 5), timeoutMs: TIMEOUT_MS });
  await sleep(1_500);
  load.phase = 'failover';
  const killedAt = Date.now();
  await cluster.kill(busy);
  await cluster.waitHealthy(20_000);
  const promotedMs = Date.now() - killedAt;
  // With two replicas the cluster elects either one.
  expect(replicas).toContain(cluster.portOf(queueKeys(prefix, 'default').wait));
  load.phase = 'after';
  const [keyResumeMs, pubsubResumeMs] = await Promise.all([
    timeToService(client, { since: killedAt, idPrefix: 'rk', replyMode: 'key', boundMs: 20_000, timeoutMs: 2_000 }),
    timeToService(client, { since: killedAt, idPrefix: 'rp', replyMode: 'pubsub', boundMs: 20_000, timeoutMs: 2_000 }),
  ]);
  await sleep(1_000);
  await load.stop();
  await load.settle(TIMEOUT_MS + 2_000);

  const reports: Record<string, LedgerReport> = {};
  for (const [name, ledger] of load.ledgers()) reports[name] = ledger.report(runs);
  const after = await Promise.allSettled(
    Array.from({ length: 200 }, (_, i) => client?.work({ id: `b${i}`, n: i, ms: 5 }, { replyMode: i % 2 ? 'pubsub' : 'key', timeoutMs: 5_000 })),
  );
  const total = Object.values(reports).reduce(
    (t, r) => ({ calls: t.calls + r.total, lost: t.lost + r.lost, duplicateRuns: t.duplicateRuns + r.duplicateRuns }),
    { calls: 0, lost: 0, duplicateRuns: 0 },
  );
  figure(name, { promotedMs, keyResumeMs, pubsubResumeMs, issued: load.issued, total, reports, batchAfterOk: after.filter((r) => r.status === 'fulfilled').length, durability });

  for (const [name, r] of Object.entries(reports)) {
    expect(r, name).toMatchObject({ wrong: 0, unknown: 0, duplicateOutcomes: 0, okWithoutRun: 0 });
    expect(Object.keys(r.errors).filter((code) => !EXPECTED_ERRORS.has(code)), name).toEqual([]);
    expect(r.maxOverDeadlineMs, name).toBeLessThanOrEqual(SLACK_MS);
  }
  expect(reports['before/key']?.total).toBeGreaterThan(0);
  expect(keyResumeMs).toBeLessThan(15_000);
  expect(pubsubResumeMs).toBeLessThan(15_000);
  expect(after.every((r) => r.status === 'fulfilled')).toBe(true);
  check?.(total);
  return client;
}

it('resubscribes when the killed primary held the pub/sub connections: pubsub replies and cancellations arrive again', async () => {
  if (!cluster || !client) throw new Error('the first case did not start');
  const c = cluster;
  // More subscribers, so that one of the primaries that can still fail over holds some.
  const prefix = randomPrefix();
  const redis = { cluster: c.nodes };
  const runs = new Map<string, number>();
  const aborted = new Set<string>();
  const handlers = faultHandlers((id, ctx) => {
    runs.set(id, (runs.get(id) ?? 0) + 1);
    ctx.signal.addEventListener('abort', () => aborted.add(id));
  });
  const w = createWorker(faultContract, handlers, { redis, prefix, logger: quietLogger, concurrency: 16, maintenanceIntervalMs: 200, ...DURABILITY });
  workers.push(w);
  await w.start();
  const callers = Array.from({ length: 4 }, () => createClient(faultContract, { redis, prefix, ...DURABILITY }));
  try {
    await Promise.all(callers.map((k, i) => k.work({ id: `warm${i}`, n: i, ms: 0 }, { replyMode: 'pubsub' })));
    const subscribers = (port: number) => c.cli(port, 'client', 'list', 'type', 'pubsub').split('\n').filter((l) => l.includes('sub=') && !l.includes(' sub=0 ')).length;
    const candidates = c.primaryPorts().filter((p) => c.replicaOf(p) > 0 && c.server(c.replicaOf(p)).alive);
    const victim = candidates.map((p) => ({ p, n: subscribers(p) })).sort((a, b) => b.n - a.n)[0];
    if (!victim) throw new Error('no primary with a live replica left');
    const killedAt = Date.now();
    await c.kill(victim.p);
    await c.waitHealthy(20_000);
    const promotedMs = Date.now() - killedAt;
    const resumeMs = await Promise.all(
      callers.map((k, i) => timeToService(k, { since: killedAt, idPrefix: `s${i}-`, replyMode: 'pubsub', boundMs: 20_000, timeoutMs: 2_000 })),
    );
    // A cancellation travels by pub/sub to the worker's subscriber.
    const abort = new AbortController();
    const running = callers[0]?.work({ id: 'cancel-me', n: 1, ms: 10_000 }, { signal: abort.signal }).catch((e: unknown) => e);
    await expect.poll(() => runs.get('cancel-me'), { timeout: 5_000 }).toBe(1);
    abort.abort();
    await running;
    await expect.poll(() => aborted.has('cancel-me'), { timeout: 5_000 }).toBe(true);
    const batch = await Promise.allSettled(callers.flatMap((k, i) => Array.from({ length: 25 }, (_, j) => k.work({ id: `p${i}-${j}`, n: j, ms: 0 }, { replyMode: 'pubsub', timeoutMs: 5_000 }))));
    figure('cluster-failover-subscribers', { subscribersOnKilled: victim.n, promotedMs, pubsubResumeMs: resumeMs, batchOk: batch.filter((r) => r.status === 'fulfilled').length });
    expect(batch.every((r) => r.status === 'fulfilled')).toBe(true);
  } finally {
    await Promise.all(callers.map((k) => k.$close()));
  }
});
