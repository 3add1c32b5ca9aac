import { ERROR_CODES, TaskwireError } from '../errors.js';
import { fingerprintTask } from '../contract/fingerprint.js';
import { listTasks, type RouterShape } from '../contract/router.js';
import { withMiddleware, type Middleware } from './middleware.js';
import type { TaskEntry } from './runner.js';

function handlerAt(handlers: unknown, path: string): TaskEntry['handler'] | undefined {
  let node: unknown = handlers;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'function' ? (node as TaskEntry['handler']) : undefined;
}

/** Every task of the contract with its handler (wrapped in the middleware) and fingerprint, by path. */
export function taskEntries(contract: RouterShape, handlers: unknown, middleware: readonly Middleware[] | undefined): Map<string, TaskEntry> {
  const entries = new Map<string, TaskEntry>();
  for (const { path, task } of listTasks(contract)) {
    const handler = handlerAt(handlers, path);
    // The types demand every handler; this guards plain-JS callers and casts.
    if (!handler) throw new TaskwireError(ERROR_CODES.VALIDATION, `createWorker(): no handler for task "${path}"`);
    entries.set(path, { path, task, handler: withMiddleware(handler, middleware), fingerprint: fingerprintTask(task) });
  }
  return entries;
}
