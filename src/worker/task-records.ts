import { DEFAULT_QUEUE } from '../contract/route.js';
import { taskView, viewDigest } from '../contract/task-view.js';
import { encodeTaskSchema } from '../wire/task-schema-record.js';
import type { WorkerTaskInfo } from '../wire/worker-info.js';
import type { TaskEntry } from './runner.js';

/** What the worker's info record says it serves (worker-info-writer.ts), by queue name. */
export interface TaskRecords {
  tasks: Map<string, WorkerTaskInfo[]>;
  schemas: Map<string, Array<{ digest: string; text: string }>>;
}

/**
 * The tasks and schema records of each queue the worker serves, built once at createWorker().
 * `partitions` is the partition count of each partitioned queue: it is part of a task's view.
 */
export function taskRecords(entries: Iterable<TaskEntry>, partitions: ReadonlyMap<string, number>): TaskRecords {
  const tasks = new Map<string, WorkerTaskInfo[]>();
  const schemas = new Map<string, Array<{ digest: string; text: string }>>();
  for (const e of entries) {
    const q = e.task.queue ?? DEFAULT_QUEUE;
    // What a live contract registry needs to judge this worker's tasks (a client's $check()).
    const view = taskView(e.path, e.task, partitions.get(q));
    const digest = viewDigest(view);
    tasks.set(q, [...(tasks.get(q) ?? []), { path: e.path, fingerprint: e.fingerprint, digest }]);
    schemas.set(q, [...(schemas.get(q) ?? []), { digest, text: encodeTaskSchema(view) }]);
  }
  return { tasks, schemas };
}
