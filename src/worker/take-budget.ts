/**
 * How many calls one take may ask for, beyond the free slots: no more than this worker can
 * start within HORIZON_MS. Handlers run on one thread, so a handler's synchronous part (a
 * CPU-bound resize, say) delays every call taken with it; a worker that took all its free slots
 * of such calls would sit on them, running them one after another, while another worker idles
 * (issue 5's bench: −15% calls/s with two CPU-bound workers). Asynchronous handlers cost little
 * synchronous time, so for them the bound is the free slots, as before.
 */
const HORIZON_MS = 10;
/**
 * Most calls taken before any call was measured: a freshly started worker joining a queue of
 * CPU-bound calls would otherwise take all its free slots on its first take.
 */
const UNMEASURED_LIMIT = 16;
/** Weight of the newest sample in the moving average. */
const ALPHA = 0.1;

export class TakeBudget {
  /** Moving average of the synchronous time of one call, ms. */
  #syncMs = 0;
  #measured = false;

  /** The synchronous part of one call: from its start to the handler's first await. */
  record(syncMs: number): void {
    // The first sample sets the average outright, so one batch is enough to adapt.
    this.#syncMs = this.#measured ? this.#syncMs + ALPHA * (syncMs - this.#syncMs) : syncMs;
    this.#measured = true;
  }

  /** Most calls to take now (at least 1). */
  limit(): number {
    if (!this.#measured) return UNMEASURED_LIMIT;
    return this.#syncMs > 0 ? Math.max(1, Math.floor(HORIZON_MS / this.#syncMs)) : Number.POSITIVE_INFINITY;
  }
}
