import type { QueueKeys } from '../wire/keys.js';
import type { BatchEnd, CompleteOptions, QueueStore, Settlement } from '../transport/queue-store.js';
import { BatchBook } from './batch-book.js';

interface Waiting {
  item: Settlement;
  done: (settled: boolean) => void;
  fail: (err: unknown) => void;
}

const MAX_BATCH = 128;

/**
 * Writes replies and acknowledgements in batches: everything settled in one tick of the event
 * loop goes to Redis in one `complete` script call per queue (one round trip for many calls).
 */
export class Replier {
  readonly #store: QueueStore;
  readonly #options: CompleteOptions;
  readonly #queues = new Map<QueueKeys, Waiting[]>();
  #scheduled = false;
  readonly #inflight = new Set<Promise<void>>();
  /** What is known for sure about each taken batch: how a complete may end its lease. */
  readonly book = new BatchBook();

  constructor(store: QueueStore, options: CompleteOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** Resolves true when settled, false when the lease was lost and the result dropped. */
  settle(keys: QueueKeys, item: Settlement): Promise<boolean> {
    return new Promise((done, fail) => {
      let list = this.#queues.get(keys);
      if (!list) this.#queues.set(keys, (list = []));
      list.push({ item, done, fail });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    for (const [keys, list] of this.#queues) {
      this.#queues.delete(keys);
      for (let i = 0; i < list.length; i += MAX_BATCH) this.#send(keys, list.slice(i, i + MAX_BATCH));
    }
  }

  #send(keys: QueueKeys, batch: Waiting[]): void {
    // Per taken batch: its calls here (distinct tokens and all), and how this complete ends it.
    const counts = new Map<string, { tokens: Set<string>; sent: number }>();
    for (const { item } of batch) {
      const c = counts.get(item.batch);
      if (c) {
        c.tokens.add(item.token);
        c.sent++;
      } else counts.set(item.batch, { tokens: new Set([item.token]), sent: 1 });
    }
    const hows = new Map<string, BatchEnd>();
    for (const [b, c] of counts) {
      hows.set(b, this.book.how(keys, b, c.tokens.size, c.sent));
      this.book.sent(keys, b, c.sent);
    }
    const p = this.#store
      .complete(keys, batch.map((w) => w.item), this.#options, (b) => hows.get(b) ?? 'c')
      .then(
        (res) => {
          for (const [b, c] of counts) this.book.answered(keys, b, c.sent);
          batch.forEach((w, j) => w.done(res[j] === 1));
        },
        (err: unknown) => {
          for (const [b, c] of counts) this.book.failed(keys, b, c.sent);
          batch.forEach((w) => w.fail(err));
        },
      )
      .finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
  }

  /** Waits for every batch already handed over. */
  async drain(): Promise<void> {
    while (this.#scheduled || this.#inflight.size) {
      if (this.#scheduled) await new Promise((r) => setImmediate(r));
      await Promise.allSettled([...this.#inflight]);
    }
  }
}
