/**
 * Fairness between the queues of one worker. Each queue has its own fetcher, and the fetchers
 * share the worker's slots: without a rule, a flooded queue's fetcher takes every slot that frees
 * and a quiet queue's calls wait behind the whole flood. The rule: while another of the worker's
 * queues has work waiting (its last take got all it asked for), a queue holds at most its share
 * of the slots, ceil(concurrency / queues); with nobody else waiting it may use them all, so no
 * slot idles for fairness' sake (docs/SCHEDULING.md, *Fair queues*).
 *
 * The partitions of a partitioned queue (docs/PARTITIONS.md) are one queue here: they share one
 * share, so partitioning a queue does not give it more of the worker than its neighbours get.
 */
export class FairQueues {
  readonly #share: number;
  /** Calls running per queue (partitions counted under their queue). */
  readonly #held = new Map<string, number>();
  /** Fetcher (a queue or one partition) → its queue. */
  readonly #queueOf = new Map<string, string>();
  readonly #hungry = new Set<string>();

  /** `queues`: each fetcher's queue (`images#1`) and the queue it is a partition of (`images`; itself when not partitioned). */
  constructor(concurrency: number, queues: ReadonlyArray<{ queue: string; logical: string }>) {
    for (const q of queues) {
      this.#queueOf.set(q.queue, q.logical);
      this.#held.set(q.logical, 0);
    }
    this.#share = Math.max(1, Math.ceil(concurrency / Math.max(1, this.#held.size)));
  }

  /** Most calls `queue` may take now. */
  allowance(queue: string): number {
    if (this.#held.size < 2) return Number.POSITIVE_INFINITY;
    const mine = this.#queueOf.get(queue) ?? queue;
    for (const other of this.#hungry) {
      if ((this.#queueOf.get(other) ?? other) !== mine) return Math.max(0, this.#share - (this.#held.get(mine) ?? 0));
    }
    return Number.POSITIVE_INFINITY;
  }

  hungry(queue: string, more: boolean): void {
    if (more) this.#hungry.add(queue);
    else this.#hungry.delete(queue);
  }

  /** A call of `queue` started (+1) or ended (-1). */
  held(queue: string, delta: number): void {
    const q = this.#queueOf.get(queue) ?? queue;
    this.#held.set(q, (this.#held.get(q) ?? 0) + delta);
  }
}
