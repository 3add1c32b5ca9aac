/**
 * Fairness between the queues of one worker. Each queue has its own fetcher, and the fetchers
 * share the worker's slots: without a rule, a flooded queue's fetcher takes every slot that frees
 * and a quiet queue's calls wait behind the whole flood. The rule: while another of the worker's
 * queues has work waiting (its last take got all it asked for), a queue holds at most its share
 * of the slots, ceil(concurrency / queues); with nobody else waiting it may use them all, so no
 * slot idles for fairness' sake (docs/SCHEDULING.md, *Fair queues*).
 */
export class FairQueues {
  readonly #share: number;
  readonly #held = new Map<string, number>();
  readonly #hungry = new Set<string>();

  constructor(concurrency: number, queues: readonly string[]) {
    this.#share = Math.max(1, Math.ceil(concurrency / Math.max(1, queues.length)));
    for (const q of queues) this.#held.set(q, 0);
  }

  /** Most calls `queue` may take now. */
  allowance(queue: string): number {
    if (this.#held.size < 2) return Number.POSITIVE_INFINITY;
    for (const other of this.#hungry) if (other !== queue) return Math.max(0, this.#share - (this.#held.get(queue) ?? 0));
    return Number.POSITIVE_INFINITY;
  }

  hungry(queue: string, more: boolean): void {
    if (more) this.#hungry.add(queue);
    else this.#hungry.delete(queue);
  }

  /** A call of `queue` started (+1) or ended (-1). */
  held(queue: string, delta: number): void {
    this.#held.set(queue, (this.#held.get(queue) ?? 0) + delta);
  }
}
