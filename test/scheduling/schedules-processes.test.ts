import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { createAdmin, createSchedules } from '../../src/index.js';
import { killAllChildren, spawnTsx, type TrackedChild } from '../fault/support/child-process.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';
import { gapsIn, scheduleContract, ticksOf, type Fired } from './schedule-contract.js';

/** Schedules served by several worker processes: each tick fires one call, also when one dies mid-tick. */

const ENTRY = fileURLToPath(new URL('./schedule-worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await killAllChildren();
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function env(workers: Array<{ dieOnFire?: boolean }>) {
  const prefix = randomPrefix();
  const dir = mkdtempSync(join(tmpdir(), 'taskwire-schedules-'));
  const log = join(dir, 'fired.log');
  const insp = inspector(prefix);
  const schedules = createSchedules(scheduleContract, { redis: redisUrl(), prefix });
  const admin = createAdmin({ redis: redisUrl(), prefix });
  cleanups.push(async () => {
    await schedules.close();
    await admin.close();
    await insp.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const procs: TrackedChild[] = [];
  for (const w of workers) {
    const p = spawnTsx(ENTRY, { TW_SCHEDULE_WORKER: JSON.stringify({ url: redisUrl(), prefix, log, ...w }) });
    procs.push(p);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`worker did not start: ${p.stderr()}`)), 15_000);
      p.child.once('message', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  const fired = (): Fired[] => {
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Fired);
  };
  /** Removes the schedule and waits until every call it fired has run (a killed worker's come back with its lease). */
  const finish = async (id: string) => {
    await schedules.remove(id);
    await expect
      .poll(async () => {
        const c = await admin.counts('sched');
        return c.waiting + c.running + c.delayed;
      }, { timeout: 10_000, interval: 100 })
      .toBe(0);
  };
  return { prefix, schedules, admin, procs, fired, finish };
}

it('a schedule served by 3 worker processes fires once per tick', async () => {
  const e = await env([{}, {}, {}]);
  expect((await e.admin.counts('sched')).workers).toBe(3);
  const s = await e.schedules.upsert('beat', { id: 'every200', input: { tag: 'p' }, everyMs: 200 });
  await sleep(3_000);
  await e.finish('every200');
  const { ticks, duplicates } = ticksOf(e.fired(), 'every200');
  expect(duplicates).toEqual([]);
  expect(gapsIn(ticks, 200)).toEqual([]);
  expect(ticks[0]).toBe(s.nextRunAt?.getTime());
  expect(ticks.length).toBeGreaterThanOrEqual(12);
  expect(ticks.length).toBeLessThanOrEqual(17);
}, 40_000);

it('fires once per tick when one process is SIGKILLed mid-tick, and another SIGKILLed mid-run', async () => {
  const e = await env([{ dieOnFire: true }, {}, {}]);
  const [dier, victim] = e.procs;
  const s = await e.schedules.upsert('beat', { id: 'killed', input: { tag: 'k' }, everyMs: 200 });
  // The first process dies as it is about to fire a tick: it computed the call and sent nothing.
  const died = await Promise.race([dier?.exited, sleep(5_000).then(() => undefined)]);
  expect(died?.signal).toBe('SIGKILL');
  await sleep(1_100);
  // Another dies at an arbitrary moment, maybe holding a call it took: that call comes back with its lease.
  victim?.child.kill('SIGKILL');
  await victim?.exited;
  await sleep(1_500);
  await e.finish('killed');
  const fired = e.fired();
  const { ticks, duplicates } = ticksOf(fired, 'killed');
  expect(duplicates).toEqual([]);
  expect(gapsIn(ticks, 200)).toEqual([]);
  // Including the tick the first process died on.
  expect(ticks[0]).toBe(s.nextRunAt?.getTime());
  expect(ticks.length).toBeGreaterThanOrEqual(13);
  // The last process fired the ticks after both deaths alone.
  expect(fired.filter((f) => f.pid === victim?.child.pid).length).toBeLessThan(fired.length);
}, 40_000);
