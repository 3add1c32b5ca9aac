import type { QueueKeys } from '../wire/keys.js';
import type { BatchEnd } from '../transport/queue-store.js';

interface Entry {
  /** Calls of the batch taken and not yet settled for sure (a complete that answered). */
  left: number;
  /** Of those, calls in a complete sent and not answered yet. */
  inflight: number;
  /** A complete of the batch failed: whether it ran is unknown, so every later one is checked. */
  unsure: boolean;
}

/**
 * What a worker knows for sure about each batch it took (take-11.lua leases a take as one
 * batch), so that complete-4.lua can end a batch's lease in one command when a settle covers all
 * of its calls left ('w'), and check call by call only when it must. Only 'w' could lose a call
 * (it drops the batch's list whole), so it is chosen only when every other call of the batch is
 * known settled: a failed complete makes the batch unsure for good ('c' from then on), and a
 * batch the book does not know is treated the same way.
 */
export class BatchBook {
  readonly #entries = new Map<QueueKeys, Map<string, Entry>>();

  /** A call of `batch` was taken (called once per call, as the take hands them out). */
  took(keys: QueueKeys, batch: string): void {
    let byBatch = this.#entries.get(keys);
    if (!byBatch) this.#entries.set(keys, (byBatch = new Map()));
    const e = byBatch.get(batch);
    if (e) e.left++;
    else byBatch.set(batch, { left: 1, inflight: 0, unsure: false });
  }

  /** How a complete of `calls` distinct calls of the batch (`sent` in all) should end it. */
  how(keys: QueueKeys, batch: string, calls: number, sent: number): BatchEnd {
    const e = this.#entries.get(keys)?.get(batch);
    if (!e || e.unsure || calls !== sent) return 'c';
    if (e.inflight === 0 && e.left === calls) return 'w';
    // The others are in completes sent before this one on the same connection: they run first.
    if (e.left === calls + e.inflight) return 'c';
    return 'p';
  }

  sent(keys: QueueKeys, batch: string, count: number): void {
    const e = this.#entries.get(keys)?.get(batch);
    if (e) e.inflight += count;
  }

  /** A complete answered (settled or fenced, either way done with). */
  answered(keys: QueueKeys, batch: string, count: number): void {
    const byBatch = this.#entries.get(keys);
    const e = byBatch?.get(batch);
    if (!e || !byBatch) return;
    e.inflight -= count;
    e.left -= count;
    if (e.left <= 0) byBatch.delete(batch);
  }

  /** A complete failed: it may or may not have run. */
  failed(keys: QueueKeys, batch: string, count: number): void {
    const e = this.#entries.get(keys)?.get(batch);
    if (!e) return;
    e.inflight -= count;
    e.unsure = true;
  }

  /**
   * Calls of the batch are being handed back (release-5.lua empties their entries): their
   * aborted handlers' settles, sent after it, must find those entries empty and be dropped, so
   * the batch is settled call by call, checked, from now on.
   */
  handingBack(keys: QueueKeys, batch: string): void {
    const e = this.#entries.get(keys)?.get(batch);
    if (e) e.unsure = true;
  }

  /** The batch's lease is gone (reaped): nothing more to know about it. */
  forget(keys: QueueKeys, batch: string): void {
    this.#entries.get(keys)?.delete(batch);
  }
}
