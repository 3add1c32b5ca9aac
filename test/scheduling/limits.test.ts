import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { createAdmin, createClient, type GroupLimits } from '../../src/index.js';
import { killAllChildren, spawnTsx, type TrackedChild } from '../fault/support/child-process.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';
import { limitContract, maxRunning, parseLog } from './limit-contract.js';

const ENTRY = fileURLToPath(new URL('./limit-worker.ts', import.meta.url));

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await killAllChildren();
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function env(workers: number, groups?: GroupLimits) {
  const prefix = randomPrefix();
  const dir = mkdtempSync(join(tmpdir(), 'taskwire-limits-'));
  const log = join(dir, 'runs.log');
  const insp = inspector(prefix);
  const client = createClient(limitContract, { redis: redisUrl(), prefix });
  const admin = createAdmin({ redis: redisUrl(), prefix });
  cleanups.push(async () => {
    await client.$close();
    await admin.close();
    await insp.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const procs: TrackedChild[] = [];
  for (let n = 0; n < workers; n++) {
    const p = spawnTsx(ENTRY, { TW_LIMIT_WORKER: JSON.stringify({ url: redisUrl(), prefix, log, groups }) });
    procs.push(p);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`worker did not start: ${p.stderr()}`)), 15_000);
      p.child.once('message', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  return { prefix, client, admin, procs, redis: insp.redis, lines: () => parseLog(readFileSync(log, 'utf8')) };
}

it('holds a rate limit over 3 worker processes: never more than max starts in any window, with no burst at the edge', async () => {
  const e = await env(3);
  const t0 = Date.now();
  // 30 calls at once: at 5 per 500 ms they take ~2.5 s.
  await Promise.all(Array.from({ length: 30 }, (_, i) => e.client.limited({ i }, { timeoutMs: 20_000 })));
  const took = Date.now() - t0;
  const starts = e.lines().filter((l) => l.what === 'start').map((l) => l.at).sort((a, b) => a - b);
  expect(starts).toHaveLength(30);
  // Every window of 500 ms holds at most 5 starts (a fixed window would let 10 through at its
  // edge, a few ms apart). Handler starts are read in the worker processes, some ms after Redis
  // admitted them, so a sixth start may come up to that much early: 150 ms of slack.
  for (let i = 0; i + 5 < starts.length; i++) expect((starts[i + 5] ?? 0) - (starts[i] ?? 0)).toBeGreaterThanOrEqual(350);
  expect(took).toBeGreaterThanOrEqual(2_400);
  expect(took).toBeLessThan(4_500);
  // More than one process ran them.
  expect(new Set(e.lines().map((l) => l.pid)).size).toBeGreaterThan(1);
}, 40_000);

it('holds a global concurrency limit over 3 worker processes, and gives the slot of a SIGKILLed worker back with its lease', async () => {
  const e = await env(3);
  const calls = Array.from({ length: 12 }, (_, i) => e.client.narrow({ i, ms: 300 }, { timeoutMs: 30_000 }));
  // Unlimited calls of the same queue are not held up by the limited task.
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 8 }, (_, i) => e.client.free({ i, ms: 10 })));
  expect(Date.now() - t0).toBeLessThan(1_000);
  // Kill a process while it runs a narrow call: its slot must come back when its lease expires (1.5 s).
  await expect.poll(() => e.lines().filter((l) => l.what === 'start' && l.task === 'narrow').length, { timeout: 5_000 }).toBeGreaterThan(0);
  const victim = e.lines().find((l) => l.what === 'start' && l.task === 'narrow')?.pid;
  e.procs.find((p) => p.child.pid === victim)?.child.kill('SIGKILL');
  expect((await Promise.all(calls)).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  const lines = e.lines().filter((l) => l.pid !== victim || l.what === 'end');
  expect(maxRunning(lines, 'narrow')).toBeLessThanOrEqual(2);
  expect(await e.redis.zcard(`${e.prefix}:{lim}:running:task:narrow`)).toBe(0);
}, 40_000);

it('sets calls over a limit aside without holding worker slots, counts them, and times out those that wait past their deadline without running them', async () => {
  const e = await env(1);
  const calls = Array.from({ length: 15 }, (_, i) => e.client.limited({ i: 100 + i }, { timeoutMs: 700 }).catch((err: unknown) => err));
  await expect.poll(async () => (await e.admin.counts('lim')).limited, { timeout: 3_000 }).toBeGreaterThan(0);
  const outcomes = await Promise.all(calls);
  const ok = outcomes.filter((o) => typeof o === 'number').length;
  // 5 in the first window, 5 in the second (at 500 ms), the rest time out at 700 ms.
  expect(ok).toBe(10);
  await new Promise((r) => setTimeout(r, 1_200));
  expect(e.lines().filter((l) => l.what === 'start')).toHaveLength(10);
}, 30_000);

it('limits each fair group to its own concurrency over all workers (worker option groups)', async () => {
  const e = await env(2, { concurrency: 1 });
  await Promise.all([
    ...Array.from({ length: 4 }, (_, i) => e.client.grouped({ i, ms: 100 }, { group: 'a', timeoutMs: 20_000 })),
    ...Array.from({ length: 4 }, (_, i) => e.client.grouped({ i: 10 + i, ms: 100 }, { group: 'b', timeoutMs: 20_000 })),
  ]);
  const lines = e.lines();
  const ofGroup = (g: 'a' | 'b') => lines.filter((l) => (g === 'a' ? l.i < 10 : l.i >= 10)).map((l) => ({ ...l, task: g }));
  expect(maxRunning(ofGroup('a'), 'a')).toBe(1);
  expect(maxRunning(ofGroup('b'), 'b')).toBe(1);
  // The two groups ran side by side.
  expect(maxRunning(lines, 'grouped')).toBe(2);
}, 30_000);
