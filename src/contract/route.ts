import type { z } from 'zod';
import { fingerprintTask } from './fingerprint.js';
import { listTasks, type RouterShape } from './router.js';
import { queuePartitions } from './queue-partitions.js';
import type { RetryPolicy } from './task.js';

export const DEFAULT_QUEUE = 'default';

/**
 * What the runtime needs to call one task. The in-repo client derives routes from the contract;
 * a generated client carries them as literal data, so both share one call path.
 */
export interface Route {
  readonly path: string;
  readonly queue: string;
  readonly timeoutMs: number | undefined;
  readonly retry: RetryPolicy | undefined;
  /** Default priority of the task's calls (a call may pass its own). */
  readonly priority?: number | undefined;
  /** How long the outcome of a detached call of the task is kept (a call may pass its own). */
  readonly resultTtlMs?: number | undefined;
  /** Its queue's partitions when more than one (docs/PARTITIONS.md); absent: one queue. */
  readonly partitions?: number | undefined;
  readonly errorCodes: readonly string[];
  readonly fingerprint: string;
  /** Used to reject bad arguments before sending; absent means "let the worker decide". */
  readonly input: z.ZodType | undefined;
  /** Used to check results against the caller's view of the contract (version skew). */
  readonly output: z.ZodType | undefined;
}

export type RouteTable = ReadonlyMap<string, Route>;

export function routesOf(contract: RouterShape): RouteTable {
  const table = new Map<string, Route>();
  const tasks = listTasks(contract);
  const partitions = queuePartitions(tasks, 'routesOf()');
  for (const { path, task } of tasks) {
    table.set(path, {
      path,
      queue: task.queue ?? DEFAULT_QUEUE,
      timeoutMs: task.timeoutMs,
      retry: task.retry,
      priority: task.priority,
      resultTtlMs: task.resultTtlMs,
      partitions: partitions.get(task.queue ?? DEFAULT_QUEUE),
      errorCodes: Object.keys(task.errors),
      fingerprint: fingerprintTask(task),
      input: task.input,
      output: task.output,
    });
  }
  return table;
}
