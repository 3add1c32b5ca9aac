import type { TaskView } from '../contract/task-view.js';

/**
 * A task version's schemas as a live worker serves them, at `<p>:{q}:schema:<digest>` (keys.ts
 * `schema`): the TaskView (contract/task-view.ts) the compatibility rules compare, as JSON. The
 * digest is content-addressed, so every worker of one version writes the same record; the info
 * record (worker-info.ts) names it per task. Read by a client's `$check()` and nobody on the call
 * path. docs/PROTOCOL.md, *Worker info records*.
 */

export const TASK_SCHEMA_VERSION = 1;

/** How long a record outlives the last worker that rewrote it. */
export const TASK_SCHEMA_TTL_MS = 10 * 60_000;

/** How often a worker rewrites its records (a tenth of their TTL: a few lost writes change nothing). */
export const TASK_SCHEMA_REWRITE_MS = 60_000;

export function encodeTaskSchema(view: TaskView): string {
  return JSON.stringify({ v: TASK_SCHEMA_VERSION, view });
}

/** The view, or undefined for a record this version does not understand (then the task is compared by fingerprint alone). */
export function decodeTaskSchema(raw: string): TaskView | undefined {
  try {
    const v = JSON.parse(raw) as { v?: unknown; view?: Partial<TaskView> };
    const view = v.view;
    if (v.v !== TASK_SCHEMA_VERSION || !view || typeof view.path !== 'string' || typeof view.queue !== 'string' || typeof view.fingerprint !== 'string') return undefined;
    return view as TaskView;
  } catch {
    return undefined;
  }
}
