import { isTaskwireError, type TaskError } from '../errors.js';
import type { TaskErrorCode, TaskErrorData } from './infer.js';
import type { AnyTask } from './task.js';

/**
 * Narrows an error to a declared task error. With the task, `data` is typed by the code:
 *   if (isTaskError(err, contract.tasks.resize, 'NOT_FOUND')) err.data.url
 */
export function isTaskError<T extends AnyTask, C extends TaskErrorCode<T>>(
  err: unknown,
  task: T,
  code: C,
): err is TaskError<C, TaskErrorData<T, C>>;
export function isTaskError<C extends string>(err: unknown, code: C): err is TaskError<C, unknown>;
export function isTaskError(err: unknown): err is TaskError<string, unknown>;
export function isTaskError(err: unknown, a?: AnyTask | string, b?: string): boolean {
  if (!isTaskwireError(err) || !err.defined) return false;
  const code = typeof a === 'string' ? a : b;
  return code === undefined || err.code === code;
}
