import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { GROUP_NAME, MAX_PRIORITY } from './protocol.js';
import { encodeCall } from './envelope.js';
import { DEFAULT_TIME_ZONE, timingKey, type CatchUp, type ScheduleTiming } from './schedule-timing.js';

/**
 * A schedule as it is stored: one JSON text per schedule in the queue's `schedules` hash
 * (docs/PROTOCOL.md, *Schedules*). It holds everything a worker needs to build each tick's call
 * envelope, so any worker of the queue can fire it without knowing the task's contract.
 *
 * It MUST begin with `{"v":1,"rev":"<rev>","timing":"<timing key>","created":<ms>`: the scripts
 * read those three by a prefix match (a fire only counts for the revision it was computed from;
 * an update keeps the next tick when the timing key is unchanged, and the creation time).
 */
export interface ScheduleRecord {
  v: 1;
  /** Random per upsert: a worker's fire computed from an older revision does nothing. */
  rev: string;
  /** timingKey() of the cron/tz or everyMs below. */
  timing: string;
  created: number;
  updated: number;
  id: string;
  task: string;
  cron?: string;
  tz?: string;
  everyMs?: number;
  catchUp: CatchUp;
  /** The serialized input, as a call envelope carries it. */
  input: unknown;
  /** Each fired call's deadline is its firing time plus this. */
  timeoutMs: number;
  priority?: number;
  group?: string;
  /** The headers of every fired call: the record's alone, never a previous tick's (no trace grows across ticks). */
  headers?: Record<string, string>;
  /** The upserting process's fingerprint of the task (the input was checked against that schema). */
  fp?: string;
}

/**
 * Schedule ids: they name the calls a schedule fires (scheduleCallId), so no `"` or `\`, and
 * short enough that the call id stays within 128 characters.
 */
export const SCHEDULE_ID = /^[A-Za-z0-9_.:@#-]{1,100}$/;

/**
 * The call id of a schedule's tick: `sched.<schedule id>.<tick in base 36>`. The same for every
 * worker that computes it, so a call counts once per tick; a client's call ids begin with its
 * 16-character id, never with `sched.`.
 */
export function scheduleCallId(scheduleId: string, tick: number): string {
  return `sched.${scheduleId}.${tick.toString(36)}`;
}

/**
 * Whether a call id names a schedule's tick (scheduleCallId), for tracing: each tick starts a
 * trace of its own. Ticks are ms timestamps, six or more base-36 digits, which tells them from a
 * tick's follow-ups (`.then`, `.catch`); a detached child's id (`<parent>/<key>`) has a slash.
 */
export function isScheduleTick(callId: string): boolean {
  return callId.startsWith('sched.') && /^sched\.[A-Za-z0-9_.:@#-]{1,100}\.[0-9a-z]{6,}$/.test(callId);
}

export function newRevision(): string {
  return randomBytes(9).toString('base64url');
}

export function timingOf(r: Pick<ScheduleRecord, 'cron' | 'tz' | 'everyMs'>): ScheduleTiming {
  if (r.everyMs !== undefined) return { everyMs: r.everyMs };
  return { cron: r.cron ?? '', tz: r.tz ?? DEFAULT_TIME_ZONE };
}

/** The record's JSON text, head fields first (see ScheduleRecord). */
export function encodeRecord(r: ScheduleRecord): string {
  return JSON.stringify({
    v: 1,
    rev: r.rev,
    timing: r.timing,
    created: r.created,
    updated: r.updated,
    id: r.id,
    task: r.task,
    cron: r.cron,
    tz: r.tz,
    everyMs: r.everyMs,
    catchUp: r.catchUp,
    timeoutMs: r.timeoutMs,
    priority: r.priority,
    group: r.group,
    headers: r.headers,
    fp: r.fp,
    input: r.input,
  });
}

const NO_QUOTE = /^[^"\\]*$/;
const recordSchema = z
  .object({
    v: z.literal(1),
    rev: z.string().min(1).max(64).regex(NO_QUOTE),
    timing: z.string().min(1).regex(NO_QUOTE),
    created: z.number().int(),
    updated: z.number().int(),
    id: z.string().regex(SCHEDULE_ID),
    task: z.string().min(1).max(512).regex(NO_QUOTE),
    cron: z.string().optional(),
    tz: z.string().optional(),
    everyMs: z.number().int().min(1).optional(),
    catchUp: z.enum(['one', 'none']),
    timeoutMs: z.number().int().min(1),
    priority: z.number().int().min(1).max(MAX_PRIORITY).optional(),
    group: z.string().regex(GROUP_NAME).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    fp: z.string().max(128).optional(),
    input: z.unknown(),
  })
  .refine((r) => (r.cron === undefined) !== (r.everyMs === undefined), { message: 'a schedule has a cron or an everyMs, not both' })
  .refine((r) => r.timing === timingKey(timingOf(r)), { message: 'timing does not match cron/tz/everyMs' });

/** The record, or why it cannot be read (garbage, or a format this version does not know). */
export function decodeRecord(raw: string): { ok: true; record: ScheduleRecord } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: z.prettifyError(parsed.error).replace(/\s+/g, ' ').slice(0, 500) };
  // Scripts read the head by a prefix match: a record written otherwise is refused here too.
  const r = parsed.data as ScheduleRecord;
  if (!raw.startsWith(`{"v":1,"rev":"${r.rev}","timing":"${r.timing}","created":${r.created},`)) {
    return { ok: false, reason: 'a schedule record must begin with {"v":1,"rev":…,"timing":…,"created":…' };
  }
  return { ok: true, record: r };
}

/**
 * The call a tick of the schedule fires: detached (no `reply`: nobody awaits it), attempt 1, its
 * deadline `now` + the record's timeout (from when it is fired, so the one call a catch-up fires
 * for old ticks still runs), headers from the record alone.
 */
export function tickEnvelope(r: ScheduleRecord, tick: number, now: number): string {
  return encodeCall({
    id: scheduleCallId(r.id, tick),
    task: r.task,
    priority: r.priority,
    group: r.group,
    input: r.input,
    deadline: now + r.timeoutMs,
    attempt: 1,
    headers: r.headers,
    fp: r.fp,
    sentAt: now,
  });
}
