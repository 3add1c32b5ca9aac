import { ERROR_CODES, TaskwireError } from '../errors.js';
import { DEFAULT_QUEUE } from '../contract/route.js';
import type { CallEnvelope } from '../wire/envelope.js';
import type { QueueKeys } from '../wire/keys.js';
import type { TakenCall } from '../transport/take-request.js';
import type { TaskEntry } from './runner.js';
import type { OkSettlement, settlements } from './settlements.js';

/** Why a decoded call is not run, and how it is settled instead. */
export type Refusal =
  | { kind: 'dead'; reason: string; item: OkSettlement; error: TaskwireError<string, unknown> }
  | { kind: 'expired'; item: OkSettlement };

/**
 * The checks a decoded call passes before it runs, in order: a task this worker serves on this
 * queue, fewer deliveries than the limit, a deadline still ahead. Returns the task's entry, or
 * the refusal and its settlement (answered and dead-lettered, or dropped silently).
 */
export function triage(
  build: ReturnType<typeof settlements>,
  entries: ReadonlyMap<string, TaskEntry>,
  maxDeliveries: number,
  keys: QueueKeys,
  taken: TakenCall,
  env: CallEnvelope,
): TaskEntry | Refusal {
  const entry = entries.get(env.task);
  if (!entry || (entry.task.queue ?? DEFAULT_QUEUE) !== keys.logical) {
    const error = new TaskwireError(ERROR_CODES.UNKNOWN_TASK, `no task "${env.task}" on queue "${keys.queue}"`, { data: { task: env.task } });
    return { kind: 'dead', reason: 'UNKNOWN_TASK', error, item: build.error(keys, taken, env, undefined, error, 'UNKNOWN_TASK') };
  }
  if (taken.deliveries > maxDeliveries) {
    const error = new TaskwireError(ERROR_CODES.DEAD_LETTERED, `${env.task} was delivered ${taken.deliveries - 1} times without finishing`, {
      data: { task: env.task, deliveries: taken.deliveries - 1 },
    });
    return { kind: 'dead', reason: 'MAX_DELIVERIES', error, item: build.error(keys, taken, env, entry.fingerprint, error, 'MAX_DELIVERIES') };
  }
  // The caller already got TIMEOUT; running now would only waste work (and side effects).
  if (Date.now() >= env.deadline) return { kind: 'expired', item: build.silent(taken, env.id) };
  return entry;
}
