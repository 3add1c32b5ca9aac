import { partitionQueue } from '../contract/partitions.js';
import { queueKeysOf, type QueueKeys } from '../wire/keys.js';
import type { QueueCounts } from '../transport/queue-store.js';
import type { QueueViewStore } from '../transport/queue-view-store.js';

/**
 * How the admin sees partitioned queues (docs/PARTITIONS.md): a queue whose workers wrote
 * `<p>:{q}:partitions` = K is the queues `q#0` … `q#K-1`, shown and operated on as one queue `q`.
 * Everything else is a queue of its own, `#` in its name or not.
 */
export class PartitionedQueues {
  readonly #views: QueueViewStore;
  readonly #prefix: string;

  constructor(views: QueueViewStore, prefix: string) {
    this.#views = views;
    this.#prefix = prefix;
  }

  /** The keys of `queue`: its partitions' when it is partitioned, else its own. */
  async keysOf(queue: string): Promise<QueueKeys[]> {
    const n = (await this.#views.partitions(this.#prefix, [queue])).get(queue);
    return queueKeysOf(this.#prefix, queue, n);
  }

  /** Queue names as found under the prefix, each partitioned queue once under its own name (its partitions left out). */
  async fold(names: readonly string[]): Promise<string[]> {
    const partitioned = await this.#views.partitions(this.#prefix, names);
    const parts = new Set<string>();
    for (const [q, n] of partitioned) for (let i = 0; i < n; i++) parts.add(partitionQueue(q, i));
    return names.filter((q) => !parts.has(q));
  }
}

/** The counts of a partitioned queue: its partitions' summed (workers: the most any partition has, since each serves them all). */
export function sumCounts(parts: readonly QueueCounts[]): QueueCounts {
  const out: QueueCounts = { waiting: 0, running: 0, delayed: 0, dead: 0, workers: 0, limited: 0, groups: 0, schedules: 0 };
  for (const c of parts) {
    out.waiting += c.waiting;
    out.running += c.running;
    out.delayed += c.delayed;
    out.dead += c.dead;
    out.workers = Math.max(out.workers, c.workers);
    out.limited += c.limited;
    out.groups += c.groups;
    out.schedules += c.schedules;
  }
  return out;
}
