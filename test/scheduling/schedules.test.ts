import { afterEach, describe, expect, it } from 'vitest';
import { createAdmin, createSchedules, createWorker, isTaskwireError, type Logger, type Worker } from '../../src/index.js';
import { queueKeys } from '../../src/wire/keys.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';
import { gapsIn, scheduleContract, scheduleHandlers, ticksOf, type Fired } from './schedule-contract.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** Schedules and admin on a fresh prefix; workers made on demand, all closed after the test. */
function env() {
  const prefix = randomPrefix();
  const fired: Fired[] = [];
  const insp = inspector(prefix);
  const schedules = createSchedules(scheduleContract, { redis: redisUrl(), prefix });
  const admin = createAdmin({ redis: redisUrl(), prefix });
  const workers: Worker[] = [];
  cleanups.push(async () => {
    for (const w of workers) await w.close({ drainTimeoutMs: 200 });
    await schedules.close();
    await admin.close();
    await insp.cleanup();
  });
  return {
    prefix,
    fired,
    schedules,
    admin,
    redis: insp.redis,
    keys: queueKeys(prefix, 'sched'),
    async worker(logger: Logger = quietLogger): Promise<Worker> {
      const w = createWorker(scheduleContract, scheduleHandlers((f) => fired.push(f)), { redis: redisUrl(), prefix, logger });
      workers.push(w);
      await w.start();
      return w;
    },
    async keysWritten(): Promise<string[]> {
      return insp.redis.keys(`${prefix}:*`);
    },
  };
}

/** The error a promise rejects with (the test fails if it resolves). */
async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isTaskwireError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('schedules fire', () => {
  it('an interval schedule fires one call per tick, each with its deterministic id, none missing', async () => {
    const e = env();
    await e.worker();
    const s = await e.schedules.upsert('beat', { id: 'every200', input: { tag: 'b' }, everyMs: 200 });
    expect(s).toMatchObject({ id: 'every200', task: 'beat', queue: 'sched', everyMs: 200, catchUp: 'one', input: { tag: 'b' } });
    await expect.poll(() => e.fired.length, { timeout: 5_000, interval: 50 }).toBeGreaterThanOrEqual(6);
    const { ticks, duplicates } = ticksOf(e.fired, 'every200');
    expect(duplicates).toEqual([]);
    expect(gapsIn(ticks, 200)).toEqual([]);
    // The first tick is the one upsert reported; each call ran within a moment of its tick.
    expect(ticks[0]).toBe(s.nextRunAt?.getTime());
    for (const f of e.fired) expect(f.at - f.tick).toBeLessThan(150);
    expect((await e.admin.counts('sched')).schedules).toBe(1);
  }, 20_000);

  it('a cron schedule with seconds in a time zone fires each second, on the second', async () => {
    const e = env();
    await e.worker();
    await e.schedules.upsert('reports.daily', { id: 'kolkata', input: { day: 'mon', n: 1 }, cron: '*/1 * * * * *', tz: 'Asia/Kolkata' });
    await expect.poll(() => e.fired.length, { timeout: 6_000, interval: 50 }).toBeGreaterThanOrEqual(3);
    const { ticks, duplicates } = ticksOf(e.fired, 'kolkata');
    expect(duplicates).toEqual([]);
    expect(gapsIn(ticks, 1_000)).toEqual([]);
    for (const t of ticks) expect(t % 1_000).toBe(0);
    expect(e.fired[0]?.tag).toBe('mon:1');
  }, 20_000);

  it('each fired call carries the schedule’s headers alone: nothing of an earlier tick (no endless trace)', async () => {
    const e = env();
    await e.worker();
    await e.schedules.upsert('beat', { id: 'traced', input: { tag: 't' }, everyMs: 150 }, { headers: { tenant: 'acme' } });
    await expect.poll(() => e.fired.length, { timeout: 5_000, interval: 50 }).toBeGreaterThanOrEqual(3);
    for (const f of e.fired) expect(f.headers).toEqual({ tenant: 'acme' });
  }, 20_000);

  it('two workers on one queue fire each tick once', async () => {
    const e = env();
    await e.worker();
    await e.worker();
    await e.schedules.upsert('beat', { id: 'shared', input: { tag: 's' }, everyMs: 100 });
    await expect.poll(() => e.fired.length, { timeout: 5_000, interval: 50 }).toBeGreaterThanOrEqual(10);
    const { ticks, duplicates } = ticksOf(e.fired, 'shared');
    expect(duplicates).toEqual([]);
    expect(gapsIn(ticks, 100)).toEqual([]);
  }, 20_000);

  it('keeps firing across worker restarts, never twice for a tick', async () => {
    const e = env();
    const first = await e.worker();
    await e.schedules.upsert('beat', { id: 'restart', input: { tag: 'r' }, everyMs: 200 });
    await expect.poll(() => e.fired.length, { timeout: 5_000, interval: 50 }).toBeGreaterThanOrEqual(3);
    await first.close();
    const before = e.fired.length;
    await e.worker();
    await expect.poll(() => e.fired.length, { timeout: 5_000, interval: 50 }).toBeGreaterThanOrEqual(before + 3);
    const { ticks, duplicates } = ticksOf(e.fired, 'restart');
    expect(duplicates).toEqual([]);
    // The restart took less than a tick here: not one tick lost either.
    expect(gapsIn(ticks, 200)).toEqual([]);
  }, 20_000);
});

describe('catch-up after no worker ran', () => {
  it('ticks missed while no worker ran fire one call, for the most recent, and the next tick keeps the phase', async () => {
    const e = env();
    // 10 s ticks, the next one moved 35 s into the past: 4 ticks passed with no worker to fire them.
    await e.schedules.upsert('beat', { id: 'missed', input: { tag: 'm' }, everyMs: 10_000 });
    const overdue = Date.now() - 35_000;
    await e.redis.zadd(e.keys.ticks, overdue, 'missed');
    await e.worker();
    await expect.poll(() => e.fired.length, { timeout: 5_000, interval: 50 }).toBe(1);
    await sleep(300);
    expect(e.fired.map((f) => [f.schedule, f.tick])).toEqual([['missed', overdue + 30_000]]);
    expect((await e.schedules.get('missed'))?.nextRunAt?.getTime()).toBe(overdue + 40_000);
  }, 20_000);

  it('after a real pause with no worker, the older ticks are skipped and ticks go on, one each, in phase', async () => {
    const e = env();
    const s = await e.schedules.upsert('beat', { id: 'paused', input: { tag: 'p' }, everyMs: 200 });
    const first = s.nextRunAt?.getTime() ?? 0;
    // About 7 ticks pass with nobody to fire them.
    await sleep(1_500);
    const startedAt = Date.now();
    await e.worker();
    await expect.poll(() => e.fired.length, { timeout: 5_000, interval: 50 }).toBeGreaterThanOrEqual(4);
    const { ticks, duplicates } = ticksOf(e.fired, 'paused');
    expect(duplicates).toEqual([]);
    // The first call is for a recent tick (within a tick of the start, and what the start took), not the first tick.
    expect(ticks[0]).toBeGreaterThan(first + 1_000);
    expect(ticks[0]).toBeGreaterThan(startedAt - 200);
    expect(gapsIn(ticks, 200)).toEqual([]);
    expect(((ticks[0] ?? 0) - first) % 200).toBe(0);
  }, 20_000);

  it('catchUp "none" skips a tick found long overdue and waits for the next; "one" fires it', async () => {
    const e = env();
    // Five-minute schedules whose tick we move two minutes into the past: a worker that was down.
    await e.schedules.upsert('beat', { id: 'skip', input: { tag: 'none' }, everyMs: 300_000 }, { catchUp: 'none' });
    await e.schedules.upsert('beat', { id: 'late', input: { tag: 'one' }, everyMs: 300_000 });
    const overdue = Date.now() - 120_000;
    await e.redis.zadd(e.keys.ticks, overdue, 'skip', overdue, 'late');
    await e.worker();
    await expect.poll(async () => (await e.schedules.get('skip'))?.nextRunAt?.getTime(), { timeout: 5_000, interval: 50 }).toBe(overdue + 300_000);
    await expect.poll(() => e.fired.length, { timeout: 5_000, interval: 50 }).toBe(1);
    await sleep(300);
    expect(e.fired.map((f) => [f.schedule, f.tick])).toEqual([['late', overdue]]);
    expect((await e.schedules.get('late'))?.nextRunAt?.getTime()).toBe(overdue + 300_000);
  }, 20_000);
});

describe('update, list, remove', () => {
  it('an update replaces the input and keeps the next tick when the timing is unchanged; a new timing takes a new tick', async () => {
    const e = env();
    const a = await e.schedules.upsert('reports.daily', { id: 'daily', input: { day: 'mon', n: 1 }, cron: '0 3 * * *', tz: 'Europe/Berlin' });
    await sleep(5);
    const b = await e.schedules.upsert('reports.daily', { id: 'daily', input: { day: 'tue', n: 2 }, cron: '0 3 * * *', tz: 'Europe/Berlin' });
    expect(b.nextRunAt).toEqual(a.nextRunAt);
    expect(b.createdAt).toEqual(a.createdAt);
    expect(b.updatedAt.getTime()).toBeGreaterThan(a.updatedAt.getTime());
    expect(await e.schedules.get('daily')).toMatchObject({ input: { day: 'tue', n: 2 }, cron: '0 3 * * *', tz: 'Europe/Berlin' });
    // 03:00 in New York is another instant.
    const c = await e.schedules.upsert('reports.daily', { id: 'daily', input: { day: 'tue', n: 2 }, cron: '0 3 * * *', tz: 'America/New_York' });
    expect(c.nextRunAt).not.toEqual(a.nextRunAt);
    expect(await e.redis.zscore(e.keys.ticks, 'daily')).toBe(String(c.nextRunAt?.getTime()));
    expect(await e.redis.hlen(e.keys.schedules)).toBe(1);
  });

  it('later calls carry the updated input', async () => {
    const e = env();
    await e.worker();
    await e.schedules.upsert('beat', { id: 'u', input: { tag: 'old' }, everyMs: 150 });
    await expect.poll(() => e.fired.length, { timeout: 5_000, interval: 50 }).toBeGreaterThanOrEqual(2);
    await e.schedules.upsert('beat', { id: 'u', input: { tag: 'new' }, everyMs: 150 });
    const at = Date.now();
    await expect.poll(() => e.fired.filter((f) => f.tag === 'new').length, { timeout: 5_000, interval: 50 }).toBeGreaterThanOrEqual(2);
    // Calls after the update all carry it (one fired before it may still be arriving).
    expect(e.fired.filter((f) => f.tick > at + 20 && f.tag !== 'new')).toEqual([]);
    expect(ticksOf(e.fired, 'u').duplicates).toEqual([]);
  }, 20_000);

  it('list and get read every schedule of the contract, typed by task; remove deletes record and tick, and nothing fires after', async () => {
    const e = env();
    await e.worker();
    await e.schedules.upsert('beat', { id: 'gone', input: { tag: 'g' }, everyMs: 100 });
    await e.schedules.upsert('elsewhere', { id: 'other-queue', input: { tag: 'o' }, cron: '0 0 1 1 *' });
    const listed = await e.schedules.list();
    expect(listed.map((s) => [s.id, s.task, s.queue])).toEqual([
      ['gone', 'beat', 'sched'],
      ['other-queue', 'elsewhere', 'sched2'],
    ]);
    const other = listed.find((s) => s.task === 'elsewhere');
    if (other?.task === 'elsewhere') expect(other.input.tag).toBe('o');
    expect(other).toMatchObject({ tz: 'UTC', cron: '0 0 1 1 *' });
    await expect.poll(() => e.fired.length, { timeout: 5_000, interval: 50 }).toBeGreaterThanOrEqual(2);
    expect(await e.schedules.remove('gone')).toBe(true);
    const removedAt = Date.now();
    expect(await e.schedules.remove('gone')).toBe(false);
    expect(await e.schedules.get('gone')).toBeUndefined();
    expect(await e.redis.hexists(e.keys.schedules, 'gone')).toBe(0);
    expect(await e.redis.zscore(e.keys.ticks, 'gone')).toBeNull();
    await sleep(500);
    expect(e.fired.filter((f) => f.tick > removedAt)).toEqual([]);
    expect((await e.admin.counts('sched')).schedules).toBe(0);
    expect((await e.admin.counts('sched2')).schedules).toBe(1);
  }, 20_000);
});

describe('bad schedules: VALIDATION with the reason, nothing written', () => {
  const cases: Array<[string, (s: ReturnType<typeof env>['schedules']) => Promise<unknown>, RegExp]> = [
    ['an invalid cron', (s) => s.upsert('beat', { id: 'x', input: { tag: 'a' }, cron: '61 * * * *' }), /invalid cron "61 \* \* \* \*".*Invalid value for minute: 61/],
    ['a cron that never fires', (s) => s.upsert('beat', { id: 'x', input: { tag: 'a' }, cron: '0 0 30 2 *' }), /never fires/],
    ['an unknown time zone', (s) => s.upsert('beat', { id: 'x', input: { tag: 'a' }, cron: '0 3 * * *', tz: 'Mars/Olympus' }), /Mars\/Olympus.*Invalid timezone/],
    ['an interval of 0', (s) => s.upsert('beat', { id: 'x', input: { tag: 'a' }, everyMs: 0 }), /everyMs must be a whole number of milliseconds >= 1 .*, got 0/],
    ['a negative interval', (s) => s.upsert('beat', { id: 'x', input: { tag: 'a' }, everyMs: -1_000 }), /got -1000/],
    ['an input that breaks the schema', (s) => s.upsert('reports.daily', { id: 'x', input: { day: 'mon', n: -2 }, everyMs: 1_000 }), /schedule of reports\.daily: invalid input: n: /],
    ['an unknown task path', (s) => s.upsert('nope' as 'beat', { id: 'x', input: { tag: 'a' }, everyMs: 1_000 }), /unknown task "nope"/],
    ['both cron and everyMs', (s) => s.upsert('beat', { id: 'x', input: { tag: 'a' }, cron: '* * * * *', everyMs: 5 } as never), /a cron .* or an everyMs, exactly one/],
    ['neither', (s) => s.upsert('beat', { id: 'x', input: { tag: 'a' } } as never), /exactly one/],
    ['tz with everyMs', (s) => s.upsert('beat', { id: 'x', input: { tag: 'a' }, everyMs: 5, tz: 'UTC' } as never), /tz applies to a cron schedule/],
    ['an id with a quote', (s) => s.upsert('beat', { id: 'a"b', input: { tag: 'a' }, everyMs: 1_000 }), /id must be 1-100 characters/],
    ['a priority and a group', (s) => s.upsert('beat', { id: 'x', input: { tag: 'a' }, everyMs: 1_000 }, { priority: 1, group: 'g' }), /a priority or a group, not both/],
    ['a priority out of range', (s) => s.upsert('beat', { id: 'x', input: { tag: 'a' }, everyMs: 1_000 }, { priority: 0 }), /priority must be an integer/],
    ['a bad catchUp', (s) => s.upsert('beat', { id: 'x', input: { tag: 'a' }, everyMs: 1_000 }, { catchUp: 'all' as 'one' }), /catchUp must be "one" or "none"/],
    ['a timeout of 0', (s) => s.upsert('beat', { id: 'x', input: { tag: 'a' }, everyMs: 1_000 }, { timeoutMs: 0 }), /timeoutMs must be/],
    // Past setTimeout's reach every fired call would time out after 1 ms (found by a review).
    ['a timeout past a timer\'s reach', (s) => s.upsert('beat', { id: 'x', input: { tag: 'a' }, everyMs: 1_000 }, { timeoutMs: 3e9 }), /timeoutMs must be at most 2147483647 \(about 24 days\), got 3000000000/],
    ['an interval past a safe integer', (s) => s.upsert('beat', { id: 'x', input: { tag: 'a' }, everyMs: 1e17 }), /everyMs must be a whole number of milliseconds >= 1 \(at most 9007199254740991\), got 100000000000000000/],
  ];

  it.each(cases)('%s', async (_name, upsert, reason) => {
    const e = env();
    const err = await failure(upsert(e.schedules));
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toMatch(reason);
    expect(await e.keysWritten()).toEqual([]);
  });

  it('an id held by a task of another queue is refused, and neither queue changes', async () => {
    const e = env();
    await e.schedules.upsert('elsewhere', { id: 'dup', input: { tag: 'o' }, everyMs: 60_000 });
    const before = (await e.keysWritten()).sort();
    const err = await failure(e.schedules.upsert('beat', { id: 'dup', input: { tag: 'a' }, everyMs: 1_000 }));
    expect(err).toMatchObject({ code: 'VALIDATION' });
    expect(err.message).toMatch(/id "dup" is a schedule on queue "sched2".*remove it first/);
    expect((await e.keysWritten()).sort()).toEqual(before);
    expect((await e.schedules.get('dup'))?.task).toBe('elsewhere');
  });

  it('calls over the size limit: PAYLOAD_TOO_LARGE at upsert, nothing written', async () => {
    const e = env();
    const small = createSchedules(scheduleContract, { redis: redisUrl(), prefix: e.prefix, maxPayloadBytes: 300 });
    cleanups.push(() => small.close());
    const err = await failure(small.upsert('beat', { id: 'big', input: { tag: 'x'.repeat(400) }, everyMs: 1_000 }));
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(err.message).toMatch(/over the 300-byte limit/);
    expect(await e.keysWritten()).toEqual([]);
  });

  it('after close(), CLOSED', async () => {
    const e = env();
    await e.schedules.close();
    expect((await failure(e.schedules.list())).code).toBe('CLOSED');
    expect((await failure(e.schedules.upsert('beat', { id: 'x', input: { tag: 'a' }, everyMs: 1_000 }))).code).toBe('CLOSED');
  });
});

describe('a schedule never silently stops', () => {
  it('one a worker cannot fire is logged and kept; the queue’s other schedules go on; an update revives it', async () => {
    const e = env();
    const errors: string[] = [];
    await e.worker({ warn: () => undefined, error: (m) => errors.push(m) });
    // A record no taskwire writes (say, from a newer version), due now.
    await e.redis.hset(e.keys.schedules, 'odd', '{"v":2,"something":"else"}');
    await e.redis.zadd(e.keys.ticks, Date.now() - 10, 'odd');
    await e.schedules.upsert('beat', { id: 'fine', input: { tag: 'f' }, everyMs: 100 });
    await expect.poll(() => errors.length, { timeout: 5_000, interval: 50 }).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/schedule "odd" on queue "sched" cannot fire: its record cannot be read.*kept/);
    await expect.poll(() => e.fired.length, { timeout: 5_000, interval: 50 }).toBeGreaterThanOrEqual(5);
    // Logged once, not at every check; kept in Redis as it was.
    expect(errors).toHaveLength(1);
    expect(await e.redis.hget(e.keys.schedules, 'odd')).toBe('{"v":2,"something":"else"}');
    expect(await e.redis.zscore(e.keys.ticks, 'odd')).not.toBeNull();
    await e.schedules.upsert('beat', { id: 'odd', input: { tag: 'revived' }, everyMs: 100 });
    await expect.poll(() => e.fired.filter((f) => f.schedule === 'odd').length, { timeout: 5_000, interval: 50 }).toBeGreaterThanOrEqual(2);
  }, 20_000);
});
