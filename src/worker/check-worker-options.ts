import { MAX_TIMER_MS } from '../contract/check-task-options.js';
import { concurrencyProblem, rateLimitProblem } from '../contract/flow-control.js';
import { ERROR_CODES, TaskwireError } from '../errors.js';
import type { WorkerOptions } from './types.js';
import { WORKER_DEFAULTS } from './worker-defaults.js';

/** A worker's numeric options: the least each may be, and whether it is a time (a timer's reach). */
const NUMBERS: ReadonlyArray<readonly [keyof WorkerOptions, number, 'ms' | 'count']> = [
  ['concurrency', 1, 'count'],
  ['leaseMs', 1, 'ms'],
  ['maintenanceIntervalMs', 1, 'ms'],
  ['workerTtlMs', 1, 'ms'],
  ['maxDeliveries', 1, 'count'],
  ['maxPayloadBytes', 1, 'count'],
  ['replyTtlMs', 1, 'ms'],
  ['priorityAgingMs', 1, 'ms'],
  ['deadlineGraceMs', 0, 'ms'],
  ['deadLetterMaxLen', 1, 'count'],
  ['drainTimeoutMs', 0, 'ms'],
  ['connectTimeoutMs', 1, 'ms'],
];

function problem(name: string, value: unknown, least: number, kind: 'ms' | 'count'): string | undefined {
  if (Number.isSafeInteger(value) && (value as number) >= least && (kind === 'count' || (value as number) <= MAX_TIMER_MS)) return undefined;
  const range = kind === 'ms' ? `a whole number of milliseconds from ${least} to ${MAX_TIMER_MS}` : `an integer >= ${least}`;
  return `${name} must be ${range}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`;
}

/**
 * Refuses worker options that would make a worker that starts and then misbehaves quietly: a
 * concurrency of 0 (it never takes a call), a lease or interval past a timer's reach (it fires at
 * once), a heartbeat ttl shorter than the ticks that renew it (clients see NO_WORKERS between
 * them), group limits a task's own would refuse (calls held until they time out). VALIDATION at
 * createWorker(), naming the option and what is valid.
 */
export function checkWorkerOptions(options: WorkerOptions): void {
  const bad = (message: string) => new TaskwireError(ERROR_CODES.VALIDATION, `createWorker(): ${message}`);
  for (const [name, least, kind] of NUMBERS) {
    const value = options[name];
    if (value === undefined) continue;
    const p = problem(name, value, least, kind);
    if (p !== undefined) throw bad(p);
  }
  const workerTtlMs = options.workerTtlMs ?? WORKER_DEFAULTS.workerTtlMs;
  const maintenanceIntervalMs = options.maintenanceIntervalMs ?? WORKER_DEFAULTS.maintenanceIntervalMs;
  if (workerTtlMs <= maintenanceIntervalMs) {
    throw bad(`workerTtlMs (${workerTtlMs}) must be longer than maintenanceIntervalMs (${maintenanceIntervalMs}), which renews the heartbeat it keeps alive`);
  }
  const groups = options.groups;
  if (groups === undefined) return;
  if (typeof groups !== 'object' || groups === null) throw bad(`groups must be { concurrency?, rateLimit? }, got ${String(groups)}`);
  const p = (groups.concurrency === undefined ? undefined : concurrencyProblem(groups.concurrency)) ?? (groups.rateLimit === undefined ? undefined : rateLimitProblem(groups.rateLimit));
  if (p !== undefined) throw bad(`groups.${p}`);
}
