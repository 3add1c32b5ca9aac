import { afterEach, expect, it } from 'vitest';
import { faultEnv, figure, privateRedis, type FaultEnv } from './support/fault-env.js';

/**
 * Crash-safe sub-tasks (issue 14): a parent that fanned out children through ctx.client is
 * SIGKILLed mid-way; its retry on another worker finds the children that finished (their stored
 * outcomes), joins those still running, and sends only the ones never sent.
 */

const redis = privateRedis();
let env: FaultEnv | undefined;
afterEach(async () => env?.cleanup());

const LEASE_MS = 1_000;
const MAINTENANCE_MS = 200;
const CHILDREN = 50;

it('the retried parent completes after its worker is SIGKILLed mid fan-out, and every child ran exactly once', { timeout: 40_000 }, async () => {
  env = await faultEnv(redis.server.url);
  const timing = { leaseMs: LEASE_MS, maintenanceIntervalMs: MAINTENANCE_MS, workerTtlMs: 1_500 };
  // Children run on their own worker; parents on another, which dies.
  const [childWorker, victim] = await Promise.all([
    env.worker({ options: { ...timing, queues: ['default'], concurrency: 16 } }),
    env.worker({ options: { ...timing, queues: ['parents'] } }),
  ]);
  const client = env.client({ defaultTimeoutMs: 30_000 });
  // Children 8..15 outlive the kill and the parent's redelivery (a lease, a tick, a new worker):
  // the retried parent must join them, not start them again.
  const parent = client.fanOut({ id: 'p', children: CHILDREN, concurrency: 8, ms: 60, slow: { from: 8, to: 16, ms: 4_000 } });
  const log = env.log;
  const childRuns = () => [...log.runs().keys()].filter((id) => id.startsWith('p-')).length;
  await expect.poll(childRuns, { timeout: 10_000, interval: 10 }).toBeGreaterThanOrEqual(12);
  victim.signal('SIGKILL');
  expect((await victim.exited).signal).toBe('SIGKILL');
  const runsAtKill = childRuns();
  expect(runsAtKill).toBeLessThan(CHILDREN);
  const killedAt = Date.now();
  await env.worker({ options: { ...timing, queues: ['parents'] } });

  const out = await parent;
  // The slow children were still running when the retried parent reached them: it joined them.
  expect(Date.now() - killedAt).toBeLessThan(4_000 + 8_000);
  expect(out).toEqual({ id: 'p', sum: (CHILDREN * (CHILDREN - 1) / 2) * 2 });
  const runs = env.log.runs();
  // The parent ran twice (killed, then retried); each child once.
  expect(runs.get('p')).toBe(2);
  const children = [...runs].filter(([id]) => id.startsWith('p-'));
  expect(children).toHaveLength(CHILDREN);
  expect(children.filter(([, n]) => n !== 1)).toEqual([]);
  figure('parent-sigkill', { children: CHILDREN, childRunsAtKill: runsAtKill, childWorker: (await childWorker.probe()).stats.succeeded });
});
