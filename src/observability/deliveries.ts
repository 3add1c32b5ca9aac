import type { WorkerCall } from '../worker/worker-events.js';

/** What names one delivery of a call: a call id runs again as another attempt, or redelivered. */
interface Delivery {
  readonly callId: string;
  readonly attempt: number;
  readonly deliveries: number;
}

/** An entry left by a settle that never came back (the call is redelivered) goes this long after the call's deadline. */
const ABANDONED_AFTER_MS = 60_000;
/** How many entries are added between two looks for abandoned ones. */
const SWEEP_EVERY = 256;

/**
 * What an observer keeps per running delivery (a span, a start time) from `started` until the
 * event that ends it. A settle that Redis never answered ends in no event: such entries are
 * dropped (and told to `abandon`) a minute past their call's deadline, so nothing grows.
 */
export class Deliveries<T> {
  readonly #open = new Map<string, { value: T; deadline: number }>();
  readonly #abandon: (value: T) => void;
  #added = 0;

  constructor(abandon: (value: T) => void = () => undefined) {
    this.#abandon = abandon;
  }

  static key(d: Delivery): string {
    return `${d.callId}\n${d.attempt}\n${d.deliveries}`;
  }

  set(call: WorkerCall, value: T): void {
    if (++this.#added % SWEEP_EVERY === 0) this.#sweep();
    this.#open.set(Deliveries.key(call), { value, deadline: call.deadline });
  }

  get(d: Delivery): T | undefined {
    return this.#open.get(Deliveries.key(d))?.value;
  }

  /** The entry, removed. */
  take(d: Delivery): T | undefined {
    const key = Deliveries.key(d);
    const entry = this.#open.get(key);
    if (entry === undefined) return undefined;
    this.#open.delete(key);
    return entry.value;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#open) {
      if (now <= entry.deadline + ABANDONED_AFTER_MS) continue;
      this.#open.delete(key);
      this.#abandon(entry.value);
    }
  }
}
