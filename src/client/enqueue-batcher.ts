import { randomUUID } from 'node:crypto';
import type { QueueStore } from '../transport/queue-store.js';
import type { QueueKeys } from '../wire/keys.js';

interface Waiting {
  raw: string;
  done: (res: number) => void;
  failed: (err: unknown) => void;
}

interface Batch {
  id: string;
  keys: QueueKeys;
  workerTtlMs: number;
  sentTtlMs: number;
  items: Waiting[];
  bytes: number;
}

/** Envelopes per script call: under Lua's unpack limit, and a bounded argument size. */
const MAX_CALLS = 1000;
const MAX_BYTES = 1 << 20;

/**
 * Sends the calls started in one turn of the event loop to Redis in one `enqueueBatch` script
 * call per queue (and worker-ttl setting) instead of one script call each. At 1,000 calls in
 * flight this took ~30% off the client's CPU per call and ~4 µs off Redis' (bench/, issue 5).
 * Calls with an idempotency key, a delay, a priority or a group do not come here: they need enqueue-7's per-call logic.
 */
export class EnqueueBatcher {
  readonly #store: QueueStore;
  readonly #open = new Map<string, Batch>();
  #scheduled = false;

  constructor(store: QueueStore) {
    this.#store = store;
  }

  /**
   * `done` gets what `QueueStore.enqueue` answers: the wait list's length, -1 for no live worker,
   * 0 for a re-send. Callbacks, not a promise: one fewer allocation and microtask per call.
   */
  enqueue(keys: QueueKeys, raw: string, workerTtlMs: number, sentTtlMs: number, done: (res: number) => void, failed: (err: unknown) => void): void {
    const slot = `${keys.base}|${workerTtlMs}`;
    let batch = this.#open.get(slot);
    if (batch && (batch.items.length >= MAX_CALLS || batch.bytes + raw.length > MAX_BYTES)) {
      this.#send(slot, batch);
      batch = undefined;
    }
    if (!batch) {
      batch = { id: randomUUID(), keys, workerTtlMs, sentTtlMs, items: [], bytes: 0 };
      this.#open.set(slot, batch);
    }
    batch.items.push({ raw, done, failed });
    batch.bytes += raw.length;
    batch.sentTtlMs = Math.max(batch.sentTtlMs, sentTtlMs);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    for (const [slot, batch] of [...this.#open]) this.#send(slot, batch);
  }

  #send(slot: string, batch: Batch): void {
    this.#open.delete(slot);
    const { items } = batch;
    this.#store
      .enqueueBatch(batch.keys, {
        batchId: batch.id,
        workerTtlMs: batch.workerTtlMs,
        sentTtlMs: batch.sentTtlMs,
        raws: items.map((w) => w.raw),
      })
      .then(
        (res) => items.forEach((w) => w.done(res)),
        (err: unknown) => items.forEach((w) => w.failed(err)),
      );
  }
}
