import { Cron } from 'croner';

/**
 * When a schedule fires: a cron expression read in a time zone, or a fixed interval. Every
 * worker of a queue computes the same ticks from the same record, so the rules live here, with
 * the wire format, rather than in the worker: croner (5 or 6 fields, seconds first when there
 * are 6; day-of-month and day-of-week OR-ed as in Vixie cron; croner's DST rules) in the zone
 * the record names, never the process's own zone, which differs between machines.
 */
export type ScheduleTiming = { readonly cron: string; readonly tz: string } | { readonly everyMs: number };

/**
 * What happens to ticks that passed while nothing fired them (no worker ran): `one` fires one
 * call for the most recent of them and skips the older ones; `none` skips them all. A tick
 * fired at most MISSED_AFTER_MS late is not missed, whatever the policy.
 */
export type CatchUp = 'one' | 'none';

/**
 * A tick fired later than this counts as missed. Wide enough for what delays a tick while
 * workers do run (a maintenance tick, a GC pause, a Redis failover), narrow enough that a
 * daily job whose workers were down for hours is not taken for an on-time one.
 */
export const MISSED_AFTER_MS = 60_000;

/** The zone of a cron schedule that names none: one zone for every worker, whatever the machine's. */
export const DEFAULT_TIME_ZONE = 'UTC';

/**
 * A string that is equal for two timings exactly when they fire at the same ticks: an update
 * that keeps it keeps the schedule's next tick (schedule-upsert-2.lua), so processes that
 * upsert the same schedule at every start never shift or restart its ticks.
 */
export function timingKey(t: ScheduleTiming): string {
  return 'cron' in t ? `cron|${t.tz}|${t.cron}` : `every|${t.everyMs}`;
}

// Parsed patterns, by timing key: a worker computes each schedule's ticks once per tick.
const patterns = new Map<string, Cron>();
const MAX_PATTERNS = 1_000;

function pattern(t: { cron: string; tz: string }): Cron {
  const key = timingKey(t);
  let c = patterns.get(key);
  if (!c) {
    // No callback: croner only evaluates the pattern, it starts no timer.
    c = new Cron(t.cron, { timezone: t.tz, mode: '5-or-6-parts', paused: true });
    if (patterns.size >= MAX_PATTERNS) patterns.clear();
    patterns.set(key, c);
  }
  return c;
}

const PRINTABLE = /^[^"\\\x00-\x1f\x7f]*$/;

/** Why a timing cannot be scheduled (croner's own reason for a bad cron or zone), or undefined. */
export function timingProblem(t: ScheduleTiming, now: number): string | undefined {
  if ('everyMs' in t) {
    return Number.isSafeInteger(t.everyMs) && t.everyMs >= 1 ? undefined : `everyMs must be a whole number of milliseconds >= 1 (at most ${Number.MAX_SAFE_INTEGER}), got ${String(t.everyMs)}`;
  }
  // Printable, without `"` or `\`: the timing key travels in the record's head (schedule-record.ts).
  if (typeof t.cron !== 'string' || !PRINTABLE.test(t.cron) || t.cron.trim() === '' || t.cron.length > 256) {
    return `cron must be a cron expression of 5 or 6 fields, got ${JSON.stringify(t.cron)}`;
  }
  if (typeof t.tz !== 'string' || !PRINTABLE.test(t.tz) || t.tz === '' || t.tz.length > 64) {
    return `tz must be an IANA time zone such as "Europe/Berlin", got ${JSON.stringify(t.tz)}`;
  }
  try {
    if (nextTickAfter(t, now) === undefined) return `cron ${JSON.stringify(t.cron)} never fires`;
  } catch (err) {
    return `invalid cron ${JSON.stringify(t.cron)} in time zone ${JSON.stringify(t.tz)}: ${err instanceof Error ? err.message : String(err)}`;
  }
  return undefined;
}

/** The first tick after `after` (ms), or undefined when the timing has none. Throws on a bad cron or zone. */
export function nextTickAfter(t: ScheduleTiming, after: number): number | undefined {
  if ('everyMs' in t) return after + t.everyMs;
  return pattern(t).nextRun(new Date(after))?.getTime();
}

/** What a worker does with a schedule whose tick `due` has come, at `now` (ms, Redis' clock). */
export interface TickPlan {
  /** The tick this call stands for: `due`, or the most recent tick that passed. */
  tick: number;
  /** Push a call for it (false: the tick was missed and the policy skips it). */
  fire: boolean;
  /** The schedule's next tick, after `now`. */
  next: number;
}

/**
 * Fires `due` when it is the latest tick that passed; when later ticks passed too (nothing
 * fired them), they collapse into one tick, the most recent, fired or skipped by `catchUp`.
 * Throws when the next tick cannot be computed (then the worker keeps the schedule as it is
 * and says so; see worker/schedule-ticker.ts).
 */
export function planTick(t: ScheduleTiming, due: number, now: number, catchUp: CatchUp): TickPlan {
  let tick = due;
  let next: number | undefined;
  if ('everyMs' in t) {
    // Ticks keep the phase of the first one: due + k x everyMs.
    tick = due + Math.max(0, Math.floor((now - due) / t.everyMs)) * t.everyMs;
    next = tick + t.everyMs;
  } else {
    next = nextTickAfter(t, due);
    if (next !== undefined && next <= now) {
      // Missed ticks: the most recent one at or before now stands for them all.
      const latest = pattern(t).previousRuns(1, new Date(now + 1))[0]?.getTime();
      if (latest !== undefined && latest > due) tick = latest;
      next = nextTickAfter(t, now);
    }
  }
  if (next === undefined || !(next > now)) throw new Error(`no tick after ${new Date(now).toISOString()}`);
  return { tick, fire: catchUp === 'one' || now - tick <= MISSED_AFTER_MS, next };
}
