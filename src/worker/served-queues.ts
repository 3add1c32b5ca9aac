import { DEFAULT_QUEUE } from '../contract/route.js';
import { queuePartitions } from '../contract/queue-partitions.js';
import { listTasks, type RouterShape } from '../contract/router.js';
import { queueKeysOf, type QueueKeys } from '../wire/keys.js';
import type { TaskEntry } from './runner.js';

export interface ServedQueues {
  /** The queue names served: `options.queues`, or every queue the contract's tasks name. */
  names: readonly string[];
  /** The partition count of each partitioned queue of the contract, by queue name. */
  partitioned: Map<string, number>;
  /** What the worker takes from: a queue's keys, or each partition's of a partitioned one. */
  queues: QueueKeys[];
}

/** The queues a worker serves. A partitioned queue is served as its partitions, each a queue of its own (docs/PARTITIONS.md). */
export function servedQueues(contract: RouterShape, entries: ReadonlyMap<string, TaskEntry>, names: readonly string[] | undefined, prefix: string): ServedQueues {
  const served = names ?? [...new Set([...entries.values()].map((e) => e.task.queue ?? DEFAULT_QUEUE))];
  const partitioned = queuePartitions(listTasks(contract), 'createWorker()');
  const queues = served.flatMap((q) => queueKeysOf(prefix, q, partitioned.get(q)));
  return { names: served, partitioned, queues };
}
