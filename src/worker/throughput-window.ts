import { THROUGHPUT_SECONDS, type Throughput } from '../wire/worker-info.js';

interface Bucket {
  second: number;
  succeeded: number;
  failed: number;
}

/**
 * Per-second counts of settled calls over the last minute, from running totals sampled by the
 * maintenance tick. Sampling the totals the worker keeps anyway (WorkerEvents) costs the call
 * path nothing; the price is that a tick longer than a second puts all of its calls into the
 * second it ran in, which still sums right over the minute.
 */
export class ThroughputWindow {
  #succeeded = 0;
  #failed = 0;
  readonly #buckets: Bucket[] = [];

  /** Adds what the totals grew by since the last sample to the second of `nowMs`. */
  sample(nowMs: number, totals: { succeeded: number; failed: number }): void {
    const second = Math.floor(nowMs / 1000);
    const succeeded = Math.max(0, totals.succeeded - this.#succeeded);
    const failed = Math.max(0, totals.failed - this.#failed);
    this.#succeeded = totals.succeeded;
    this.#failed = totals.failed;
    const last = this.#buckets[this.#buckets.length - 1];
    if (last !== undefined && last.second === second) {
      last.succeeded += succeeded;
      last.failed += failed;
    } else {
      this.#buckets.push({ second, succeeded, failed });
    }
    while ((this.#buckets[0]?.second ?? second) <= second - THROUGHPUT_SECONDS) this.#buckets.shift();
  }

  /** The last THROUGHPUT_SECONDS seconds up to the one of `nowMs`, oldest first. */
  snapshot(nowMs: number): Throughput {
    const until = Math.floor(nowMs / 1000);
    const succeeded = new Array<number>(THROUGHPUT_SECONDS).fill(0);
    const failed = new Array<number>(THROUGHPUT_SECONDS).fill(0);
    for (const b of this.#buckets) {
      const i = THROUGHPUT_SECONDS - 1 - (until - b.second);
      if (i < 0 || i >= THROUGHPUT_SECONDS) continue;
      succeeded[i] = b.succeeded;
      failed[i] = b.failed;
    }
    return { until: until * 1000, succeeded, failed };
  }
}
