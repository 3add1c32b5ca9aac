import { ERROR_CODES, TaskwireError } from '../errors.js';
import { groupProblem, priorityProblem } from '../contract/flow-control.js';
import { issuesText, parseWith } from '../contract/parse.js';
import type { Route } from '../contract/route.js';
import { DEFAULTS } from '../wire/protocol.js';
import { SCHEDULE_ID } from '../wire/schedule-record.js';
import { DEFAULT_TIME_ZONE, timingProblem, type CatchUp, type ScheduleTiming } from '../wire/schedule-timing.js';
import type { ScheduleOptions } from './types.js';
import { MAX_TIMER_MS } from '../contract/check-task-options.js';

/** An upsert's arguments, checked: everything a record needs but its revision and times. */
export interface CheckedSpec {
  id: string;
  timing: ScheduleTiming;
  /** The caller's input, valid for the task's schema (serialized by the caller of this). */
  input: unknown;
  catchUp: CatchUp;
  timeoutMs: number;
  priority: number | undefined;
  group: string | undefined;
  headers: Record<string, string> | undefined;
}

/** A bad schedule: VALIDATION naming the task and the reason, as a bad call is. */
export function invalidSchedule(task: string, reason: string, data: Record<string, unknown> = {}): TaskwireError<string, unknown> {
  return new TaskwireError(ERROR_CODES.VALIDATION, `schedule of ${task}: ${reason}`, { data: { task, ...data } });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks an upsert's spec and options against the task (its schema, its defaults) and the
 * timing with the cron library, before anything touches Redis. The types rule most of this out;
 * these checks are for values computed at run time and plain-JS callers. Throws VALIDATION.
 */
export async function checkSpec(route: Route, spec: unknown, options: ScheduleOptions | undefined, now: number): Promise<CheckedSpec> {
  const path = route.path;
  const bad = (reason: string, data?: Record<string, unknown>) => invalidSchedule(path, reason, data);
  if (!isObject(spec)) throw bad('the schedule must be an object { id, input, cron, tz? } or { id, input, everyMs }');
  const id = spec['id'];
  if (typeof id !== 'string' || !SCHEDULE_ID.test(id)) throw bad(`id must be 1-100 characters of A-Z a-z 0-9 _ . : @ # -, got ${JSON.stringify(id) ?? String(id)}`);
  const { cron, tz, everyMs } = spec;
  if ((cron === undefined) === (everyMs === undefined)) throw bad('give a cron (with an optional tz) or an everyMs, exactly one', { id });
  if (everyMs !== undefined && tz !== undefined) throw bad('tz applies to a cron schedule, not to everyMs', { id });
  const timing: ScheduleTiming = cron !== undefined ? { cron: cron as string, tz: (tz as string | undefined) ?? DEFAULT_TIME_ZONE } : { everyMs: everyMs as number };
  const problem = timingProblem(timing, now);
  if (problem !== undefined) throw bad(problem, { id });

  const given: unknown = options ?? {};
  if (!isObject(given)) throw bad('options must be an object', { id });
  const o = given as ScheduleOptions;
  const catchUp = o.catchUp ?? 'one';
  if (catchUp !== 'one' && catchUp !== 'none') throw bad(`catchUp must be "one" or "none", got ${JSON.stringify(catchUp)}`, { id });
  const timeoutMs: number = o.timeoutMs ?? route.timeoutMs ?? DEFAULTS.timeoutMs;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw bad(`timeoutMs must be a whole number of milliseconds >= 1, got ${String(timeoutMs)}`, { id });
  // As for a call (flow-options.ts): past a timer's reach every fired call would time out at once.
  if (timeoutMs > MAX_TIMER_MS) throw bad(`timeoutMs must be at most ${MAX_TIMER_MS} (about 24 days), got ${timeoutMs}`, { id });
  const priority = o.priority ?? route.priority;
  const group = o.group;
  const flow = (priority === undefined ? undefined : priorityProblem(priority)) ?? (group === undefined ? undefined : groupProblem(group));
  if (flow !== undefined) throw bad(flow, { id });
  if (priority !== undefined && group !== undefined) throw bad('its calls have a priority or a group, not both', { id });
  const headers: unknown = o.headers;
  if (headers !== undefined && !(isObject(headers) && Object.values(headers).every((h) => typeof h === 'string'))) {
    throw bad('headers must map names to strings', { id });
  }

  if (route.input) {
    const parsed = await parseWith(route.input, spec['input']);
    if (!parsed.success) throw bad(`invalid input: ${issuesText(parsed.error)}`, { id, issues: parsed.error.issues });
  }
  return { id, timing, input: spec['input'], catchUp, timeoutMs, priority, group, headers: headers === undefined ? undefined : { ...(headers as Record<string, string>) } };
}
