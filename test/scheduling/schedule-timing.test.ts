import { describe, expect, it } from 'vitest';
import { MISSED_AFTER_MS, nextTickAfter, planTick, timingKey, timingProblem } from '../../src/wire/schedule-timing.js';
import { decodeRecord, encodeRecord, scheduleCallId, tickEnvelope, type ScheduleRecord } from '../../src/wire/schedule-record.js';
import { decodeCall } from '../../src/wire/envelope.js';

/** Tick computations on a fixed clock: no waiting for real cron minutes. */
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('cron ticks in a time zone', () => {
  const berlin3am = { cron: '0 3 * * *', tz: 'Europe/Berlin' };

  it('fires at 03:00 Berlin time: 01:00 UTC in summer (CEST), 02:00 UTC in winter (CET)', () => {
    // CEST (UTC+2) in June, CET (UTC+1) in December.
    expect(iso(nextTickAfter(berlin3am, at('2026-06-10T12:00:00Z')))).toBe('2026-06-11T01:00:00.000Z');
    expect(iso(nextTickAfter(berlin3am, at('2026-12-10T12:00:00Z')))).toBe('2026-12-11T02:00:00.000Z');
  });

  it('crosses the spring DST change: the day the clocks jump, 03:00 still comes once', () => {
    // 2026-03-29: 02:00 CET becomes 03:00 CEST.
    const first = nextTickAfter(berlin3am, at('2026-03-28T12:00:00Z'));
    expect(iso(first)).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(nextTickAfter(berlin3am, first ?? 0))).toBe('2026-03-30T01:00:00.000Z');
  });

  it('a cron without tz is read in UTC, whatever the machine zone', () => {
    expect(iso(nextTickAfter({ cron: '0 3 * * *', tz: 'UTC' }, at('2026-06-10T12:00:00Z')))).toBe('2026-06-11T03:00:00.000Z');
  });

  it('6 fields: seconds first', () => {
    const everySecond = { cron: '*/1 * * * * *', tz: 'UTC' };
    expect(iso(nextTickAfter(everySecond, at('2026-01-01T12:00:00.000Z')))).toBe('2026-01-01T12:00:01.000Z');
    expect(iso(nextTickAfter(everySecond, at('2026-01-01T12:00:00.400Z')))).toBe('2026-01-01T12:00:01.000Z');
  });
});

describe('planTick: on time, and the catch-up policy', () => {
  const minutely = { cron: '* * * * *', tz: 'UTC' };

  it('an interval tick on time fires that tick; the next keeps the phase', () => {
    const due = at('2026-01-01T00:00:00.200Z');
    expect(planTick({ everyMs: 200 }, due, due + 3, 'one')).toEqual({ tick: due, fire: true, next: due + 200 });
  });

  it('interval ticks missed while nothing ran collapse into one call for the most recent', () => {
    const due = at('2026-01-01T00:00:00.000Z');
    // 10 ticks passed (0, 200, ..., 1800 ms), now is 1850 ms.
    expect(planTick({ everyMs: 200 }, due, due + 1_850, 'one')).toEqual({ tick: due + 1_800, fire: true, next: due + 2_000 });
  });

  it('cron ticks missed collapse into the most recent one; the next is after now', () => {
    const due = at('2026-01-01T10:00:00Z');
    const now = at('2026-01-01T10:07:30Z');
    expect(planTick(minutely, due, now, 'one')).toEqual({ tick: at('2026-01-01T10:07:00Z'), fire: true, next: at('2026-01-01T10:08:00Z') });
  });

  it('a cron tick on time fires itself', () => {
    const due = at('2026-01-01T10:00:00Z');
    expect(planTick(minutely, due, due + 40, 'one')).toEqual({ tick: due, fire: true, next: at('2026-01-01T10:01:00Z') });
  });

  it('catchUp "none" skips a tick fired more than MISSED_AFTER_MS late, and fires one that is not', () => {
    const daily = { cron: '0 3 * * *', tz: 'Europe/Berlin' };
    const due = at('2026-06-11T01:00:00Z');
    const late = planTick(daily, due, due + 5 * 3_600_000, 'none');
    expect(late).toEqual({ tick: due, fire: false, next: at('2026-06-12T01:00:00Z') });
    expect(planTick(daily, due, due + MISSED_AFTER_MS, 'none').fire).toBe(true);
    // "one" fires the late one.
    expect(planTick(daily, due, due + 5 * 3_600_000, 'one').fire).toBe(true);
  });
});

describe('timingProblem: what an upsert refuses, with the cron library reason', () => {
  const now = at('2026-01-01T00:00:00Z');
  it.each([
    [{ cron: 'nonsense', tz: 'UTC' }, /invalid cron "nonsense".*five, six, or seven/],
    [{ cron: '61 * * * *', tz: 'UTC' }, /Invalid value for minute: 61/],
    [{ cron: '0 0 0 1 1 * 2030', tz: 'UTC' }, /5 or 6 parts/],
    [{ cron: '0 3 * * *', tz: 'Mars/Olympus' }, /time zone "Mars\/Olympus".*Invalid timezone/],
    [{ cron: '0 3 * * *', tz: '' }, /tz must be an IANA time zone/],
    [{ cron: '0 0 30 2 *', tz: 'UTC' }, /never fires/],
    [{ cron: '0\t3 * * *', tz: 'UTC' }, /cron must be a cron expression/],
    [{ everyMs: 0 }, /everyMs must be a whole number of milliseconds >= 1 .*, got 0/],
    [{ everyMs: -5 }, /got -5/],
    [{ everyMs: 1.5 }, /got 1.5/],
    [{ everyMs: Number.NaN }, /got NaN/],
  ])('%j', (timing, reason) => {
    expect(timingProblem(timing, now)).toMatch(reason);
  });

  it('accepts good ones', () => {
    expect(timingProblem({ cron: '0 3 * * *', tz: 'Europe/Berlin' }, now)).toBeUndefined();
    expect(timingProblem({ cron: '*/5 * * * * *', tz: 'UTC' }, now)).toBeUndefined();
    expect(timingProblem({ everyMs: 200 }, now)).toBeUndefined();
  });

  it('the timing key tells timings apart, the zone included', () => {
    expect(timingKey({ cron: '0 3 * * *', tz: 'UTC' })).not.toBe(timingKey({ cron: '0 3 * * *', tz: 'Europe/Berlin' }));
    expect(timingKey({ everyMs: 200 })).toBe(timingKey({ everyMs: 200 }));
  });
});

describe('schedule records and the calls they fire', () => {
  const record: ScheduleRecord = {
    v: 1,
    rev: 'r1',
    timing: timingKey({ everyMs: 200 }),
    created: 1,
    updated: 2,
    id: 'nightly.report',
    task: 'reports.daily',
    everyMs: 200,
    catchUp: 'one',
    input: { json: { day: 1 } },
    timeoutMs: 5_000,
    headers: { tenant: 'a' },
    fp: '0123456789abcdef',
  };

  it('round-trips, and a record whose head is not first is refused', () => {
    expect(decodeRecord(encodeRecord(record))).toEqual({ ok: true, record });
    const { v, rev, ...rest } = record;
    const reordered = JSON.stringify({ ...rest, v, rev });
    expect(decodeRecord(reordered).ok).toBe(false);
    expect(decodeRecord('nope').ok).toBe(false);
  });

  it('a tick fires a detached call: deterministic id, attempt 1, deadline from when it is fired, headers from the record only', () => {
    const tick = at('2026-01-01T00:00:00Z');
    const firedAt = tick + 90_000;
    const decoded = decodeCall(tickEnvelope(record, tick, firedAt));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const env = decoded.value;
    expect(env.id).toBe(scheduleCallId('nightly.report', tick));
    expect(env.id).toBe(`sched.nightly.report.${tick.toString(36)}`);
    expect(env.reply).toBeUndefined();
    expect(env.attempt).toBe(1);
    expect(env.deadline).toBe(firedAt + 5_000);
    expect(env.headers).toEqual({ tenant: 'a' });
    expect(env.input).toEqual({ json: { day: 1 } });
    expect(env.fp).toBe(record.fp);
  });

  it('call ids of the longest schedule id stay within the 128 characters a call id may have', () => {
    expect(scheduleCallId('x'.repeat(100), at('2999-12-31T23:59:59Z')).length).toBeLessThanOrEqual(128);
  });
});
