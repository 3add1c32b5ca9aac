import { ERROR_CODES, TaskwireError } from '../errors.js';
import { groupProblem, priorityProblem } from '../contract/flow-control.js';
import type { Route } from '../contract/route.js';
import type { CallOptions } from './types.js';
import { MAX_TIMER_MS } from '../contract/check-task-options.js';

/** setTimeout waits at most 2^31-1 ms: a caller's promise cannot wait longer for its deadline. */

/** Where and when a call waits, checked: a call without any of it takes the batched path. */
export interface FlowPlan {
  /** 0: due now. */
  delayMs: number;
  priority: number | undefined;
  group: string | undefined;
}

/** No delay, no priority, no group: the common case, one shared object. */
export const PLAIN_FLOW: FlowPlan = Object.freeze({ delayMs: 0, priority: undefined, group: undefined });

/**
 * Reads a call's delay, priority and group (the task's default priority included) and checks
 * them: VALIDATION names what is wrong. `now` is the caller's clock (runAt is a caller's Date).
 */
export function flowPlan(route: Route, options: CallOptions, timeoutMs: number, now: number): FlowPlan {
  const { delayMs, runAt, group } = options;
  const priority = options.priority ?? route.priority;
  if (delayMs === undefined && runAt === undefined && priority === undefined && group === undefined) {
    if (timeoutMs > MAX_TIMER_MS) throw invalid(route, `timeoutMs must be at most ${MAX_TIMER_MS} (about 24 days), got ${timeoutMs}`);
    return PLAIN_FLOW;
  }
  if (delayMs !== undefined && runAt !== undefined) throw invalid(route, 'pass delayMs or runAt, not both');
  if (delayMs !== undefined && !(typeof delayMs === 'number' && Number.isFinite(delayMs) && delayMs >= 0)) {
    throw invalid(route, `delayMs must be a finite number of milliseconds >= 0, got ${String(delayMs)}`);
  }
  if (runAt !== undefined && !(runAt instanceof Date && Number.isFinite(runAt.getTime()))) {
    throw invalid(route, `runAt must be a valid Date, got ${String(runAt)}`);
  }
  // runAt in the past runs now.
  const delay = Math.max(0, Math.round(delayMs ?? (runAt ? runAt.getTime() - now : 0)));
  if (delay + timeoutMs > MAX_TIMER_MS) {
    throw invalid(route, `a call's delay and timeout together must be at most ${MAX_TIMER_MS} ms (about 24 days), got ${delay} + ${timeoutMs}`);
  }
  const problem = (priority === undefined ? undefined : priorityProblem(priority)) ?? (group === undefined ? undefined : groupProblem(group));
  if (problem !== undefined) throw invalid(route, problem);
  // A group's calls are taken in turn with other groups', in arrival order within the group.
  if (priority !== undefined && group !== undefined) throw invalid(route, 'a call has a priority or a group, not both (groups are taken round-robin, in arrival order)');
  return { delayMs: delay, priority, group };
}

function invalid(route: Route, reason: string): TaskwireError<string, unknown> {
  return new TaskwireError(ERROR_CODES.VALIDATION, `${route.path}: ${reason}`, { data: { task: route.path } });
}
