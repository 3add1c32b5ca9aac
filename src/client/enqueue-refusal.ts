import { ERROR_CODES, TaskwireError } from '../errors.js';
import type { Route } from '../contract/route.js';
import type { EnqueueResult } from '../transport/queue-store.js';
import type { QueueKeys } from '../wire/keys.js';

/**
 * The error of an enqueue Redis refused (queue-store.ts EnqueueResult): no live worker serves the
 * queue (-1), or the idempotency key is held by a call with another input (-4). Undefined when
 * the call went in, joined an earlier one or was answered from a stored result.
 */
export function enqueueRefusal(res: EnqueueResult, route: Route, keys: QueueKeys, idem: string | undefined): TaskwireError<string, unknown> | undefined {
  const { path, queue } = route;
  if (res === -1) {
    const partition = keys.partition === undefined ? {} : { partition: keys.partition };
    const where = keys.partition === undefined ? '' : `, partition ${keys.queue}`;
    return new TaskwireError(ERROR_CODES.NO_WORKERS, `no live worker serves queue "${queue}" (task ${path}${where})`, { data: { task: path, queue, ...partition } });
  }
  if (res === -4) {
    return new TaskwireError(ERROR_CODES.IDEMPOTENCY_CONFLICT, `idempotency key "${idem}" is held by a call with another input (${path}, queue "${queue}")`, {
      data: { task: path, queue, idempotencyKey: idem },
    });
  }
  return undefined;
}
