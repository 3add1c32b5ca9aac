import { contractError } from './contract-error.js';
import type { AnyTask } from './task.js';

const DEFAULT_QUEUE = 'default';

/**
 * How many partitions each queue of a contract has (docs/PARTITIONS.md): what its tasks declare.
 * Tasks of one queue that declare different counts are a contract error naming both; a task that
 * declares none follows its queue's, since its calls must go where the queue's workers take.
 * Global limits (rateLimit, concurrency) are counted per slot in Redis, so a partitioned queue
 * cannot hold them: refused rather than silently multiplied by the number of partitions.
 */
export function queuePartitions(tasks: ReadonlyArray<{ path: string; task: AnyTask }>, where: string): Map<string, number> {
  const declared = new Map<string, { partitions: number; path: string }>();
  for (const { path, task } of tasks) {
    if (task.partitions === undefined) continue;
    const queue = task.queue ?? DEFAULT_QUEUE;
    const had = declared.get(queue);
    if (had && had.partitions !== task.partitions) {
      throw contractError(
        `${where}: tasks of queue "${queue}" disagree on partitions: ${had.path} says ${had.partitions}, ${path} says ${task.partitions}; every task of a queue that declares partitions must declare the same number`,
      );
    }
    if (!had) declared.set(queue, { partitions: task.partitions, path });
  }
  const out = new Map<string, number>();
  for (const [queue, { partitions }] of declared) if (partitions > 1) out.set(queue, partitions);
  for (const { path, task } of tasks) {
    const partitions = out.get(task.queue ?? DEFAULT_QUEUE);
    if (partitions === undefined) continue;
    const limit = task.rateLimit !== undefined ? 'rateLimit' : task.concurrency !== undefined ? 'concurrency' : undefined;
    if (limit !== undefined) {
      throw contractError(
        `${where}: ${path} has a ${limit} but its queue "${task.queue ?? DEFAULT_QUEUE}" has ${partitions} partitions: a limit is enforced per queue slot, so it would allow ${partitions} times as much; drop one of them`,
      );
    }
  }
  return out;
}
