import type { Route, RouteTable } from '../contract/route.js';
import { queueKeys, type QueueKeys } from '../wire/keys.js';
import { partitionKeys, pickPartition, type Partitions } from './partitions.js';

/**
 * Where a client's calls go: the keys of every queue its contract names, each partition of a
 * partitioned queue being a queue of its own (docs/PARTITIONS.md). Built once per client, so the
 * call path only looks keys up.
 */
export class QueueRoutes {
  readonly #byQueue = new Map<string, QueueKeys>();
  /** Per partitioned queue, its partitions' keys and the round-robin position. */
  readonly #partitioned = new Map<string, Partitions>();

  constructor(routes: RouteTable, prefix: string) {
    for (const route of routes.values()) {
      if (route.partitions === undefined) {
        if (!this.#byQueue.has(route.queue)) this.#byQueue.set(route.queue, queueKeys(prefix, route.queue));
      } else if (!this.#partitioned.has(route.queue)) {
        const parts = partitionKeys(prefix, route.queue, route.partitions);
        this.#partitioned.set(route.queue, parts);
        for (const k of parts.keys) this.#byQueue.set(k.queue, k);
      }
    }
  }

  /** Every queue, partitions included. */
  all(): QueueKeys[] {
    return [...this.#byQueue.values()];
  }

  /** The keys of a queue or of one partition (`images#1`), if the contract names it. */
  keysOf(queue: string): QueueKeys | undefined {
    return this.#byQueue.get(queue);
  }

  /** The partitions of a partitioned queue, else undefined. */
  partitionsOf(queue: string): readonly QueueKeys[] | undefined {
    return this.#partitioned.get(queue)?.keys;
  }

  /**
   * The queue a call of `route` goes to: its own, or for a partitioned queue the partition its
   * key picks (`by`: a partition key or an idempotency key, so one key has one owner), else the
   * next one round-robin.
   */
  pick(route: Route, by: string | undefined): QueueKeys {
    const keys = route.partitions === undefined ? this.#byQueue.get(route.queue) : undefined;
    if (keys) return keys;
    const parts = this.#partitioned.get(route.queue);
    if (!parts) throw new Error(`no keys for queue ${route.queue}`);
    return pickPartition(parts, by);
  }
}
