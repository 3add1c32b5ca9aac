import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient, createWorker, type DurabilityOptions, type Worker } from '../../src/index.js';
import { quietLogger } from '../support/fixtures.js';
import { randomPrefix } from '../support/redis.js';
import { RedisSentinel } from '../support/redis-sentinel.js';
import { faultContract, faultHandlers } from '../fault/support/fault-contract.js';
import { figure, type FaultClient } from '../fault/support/fault-env.js';
import type { LedgerReport } from '../fault/support/ledger.js';
import { Load, timeToService } from '../fault/support/load.js';

// SIGKILL the primary of a Sentinel set-up (1 primary, 1 replica, 3 sentinels) under load; the
// client and the workers run on, untouched, and follow the promoted replica. The killed Redis is
// restarted as a supervisor would, and the sentinels make it the new primary's replica (with
// `durability: { replicas: 1 }` writes wait for it). Figures quoted in docs/SENTINEL.md.
let topology: RedisSentinel | undefined;
beforeAll(async () => {
  topology = await RedisSentinel.start();
});
afterAll(async () => topology?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TIMEOUT_MS = 20_000;

interface Outcome {
  reports: Record<string, LedgerReport>;
  resumeMs: number;
  failoverMs: number;
  issued: number;
}

/** One SIGKILL of the current primary under key-mode load, accounted by the fault tests' ledger. */
async function killPrimaryUnderLoad(t: RedisSentinel, durability: DurabilityOptions | undefined): Promise<Outcome> {
  const prefix = randomPrefix();
  const runs = new Map<string, number>();
  const record = (id: string) => runs.set(id, (runs.get(id) ?? 0) + 1);
  const options = { redis: t.redis, prefix, logger: quietLogger, ...(durability ? { durability } : {}) };
  const workers: Worker[] = [];
  let client: FaultClient | undefined;
  try {
    for (let i = 0; i < 2; i++) workers.push(createWorker(faultContract, faultHandlers(record), { ...options, concurrency: 64 }));
    await Promise.all(workers.map((w) => w.start()));
    const c = (client = createClient(faultContract, options));
    // Key mode only: a pub/sub reply published while the client's subscriber reconnects is lost by design (docs/SENTINEL.md).
    const load = new Load(c, { idPrefix: 'c', perRound: 20, pauseMs: 10, maxRounds: 100_000, ms: (n) => (n % 10 === 0 ? 200 : 2), timeoutMs: TIMEOUT_MS, replyModes: ['key'] });
    await sleep(2_000);
    const primary = t.primary();
    load.phase = 'failover';
    const killedAt = Date.now();
    await primary.kill();
    const resumed = timeToService(c, { since: killedAt, idPrefix: 'probe', replyMode: 'key', everyMs: 100, timeoutMs: 2_000, boundMs: 30_000 });
    await t.failedOver(primary.port);
    const failoverMs = Date.now() - killedAt;
    // What a supervisor does: start the crashed Redis again; the sentinels make it a replica.
    await primary.restart();
    await t.replicating(primary);
    const resumeMs = await resumed;
    load.phase = 'after';
    await sleep(2_000);
    await load.stop();
    await load.settle(TIMEOUT_MS + 5_000);
    const reports: Record<string, LedgerReport> = {};
    for (const [name, ledger] of load.ledgers()) reports[name] = ledger.report(runs);
    return { reports, resumeMs, failoverMs, issued: load.issued };
  } finally {
    await client?.$close();
    await Promise.all(workers.map((w) => w.close()));
  }
}

const total = (o: Outcome, field: 'lost' | 'duplicateOutcomes' | 'wrong' | 'total' | 'ok') => Object.values(o.reports).reduce((n, r) => n + r[field], 0);

it('without the durability option: a killed primary is replaced and service resumes without restarting anything; loss measured', async () => {
  const t = topology;
  if (!t) throw new Error('no topology');
  const o = await killPrimaryUnderLoad(t, undefined);
  figure('sentinel-failover/durability-off', { ...o, lost: total(o, 'lost') });
  expect(o.resumeMs).toBeLessThan(20_000);
  expect(total(o, 'duplicateOutcomes')).toBe(0);
  expect(total(o, 'wrong')).toBe(0);
  expect(o.reports['after/key']?.ok).toBe(o.reports['after/key']?.total);
});

it('with durability { replicas: 1 }: a killed primary loses no call', async () => {
  const t = topology;
  if (!t) throw new Error('no topology');
  const o = await killPrimaryUnderLoad(t, { replicas: 1, timeoutMs: 1_000 });
  figure('sentinel-failover/durability-on', { ...o, lost: total(o, 'lost') });
  expect(o.resumeMs).toBeLessThan(20_000);
  for (const [name, r] of Object.entries(o.reports)) {
    expect(r, name).toMatchObject({ lost: 0, unknown: 0, wrong: 0, duplicateOutcomes: 0, okWithoutRun: 0 });
    expect(r.ok, name).toBe(r.total);
  }
});
