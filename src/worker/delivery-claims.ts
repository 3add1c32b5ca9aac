import type { QueueKeys } from '../wire/keys.js';
import type { QueueStore } from '../transport/queue-store.js';

interface Pending {
  claim: { callId: string; attempt: number; deadline: number };
  resolve: (claimed: boolean) => void;
  reject: (err: unknown) => void;
}

/**
 * The replay claims of signed calls (docs/SECURITY.md, *Signing*), one script per queue for all
 * the claims of a turn: the calls of a taken batch are handled in one turn, so a batch costs one
 * round trip instead of one per call.
 */
export class DeliveryClaims {
  readonly #store: () => QueueStore;
  #pending = new Map<QueueKeys, Pending[]>();
  #scheduled = false;

  constructor(store: () => QueueStore) {
    this.#store = store;
  }

  /** True if this is the call's first delivery of its attempt; false if it was claimed before (a replay). */
  claim(keys: QueueKeys, callId: string, attempt: number, deadline: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      let list = this.#pending.get(keys);
      if (!list) this.#pending.set(keys, (list = []));
      list.push({ claim: { callId, attempt, deadline }, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const batches = this.#pending;
    this.#pending = new Map();
    this.#scheduled = false;
    for (const [keys, list] of batches) {
      this.#store()
        .claimDeliveries(
          keys,
          list.map((p) => p.claim),
        )
        .then(
          (claimed) => list.forEach((p, i) => p.resolve(claimed[i] === true)),
          (err: unknown) => list.forEach((p) => p.reject(err)),
        );
    }
  }
}
