import type { QueueKeys } from '../wire/keys.js';

export interface Held {
  keys: QueueKeys;
  /** The taken batch whose lease covers the call (take-11.lua). */
  batch: string;
  deadline: number;
}

export interface LeaseKeeperOptions {
  /** The running calls; the worker adds and removes them. */
  held: ReadonlySet<Held>;
  leaseMs: number;
  /** How long past its call's deadline a lease may still be renewed. */
  graceMs: number;
  extend: (keys: QueueKeys, batches: string[]) => Promise<string[]>;
  /** A batch's lease found gone: the reaper gave its calls to other workers. */
  onLost: (keys: QueueKeys, batch: string) => void;
  onError: (err: unknown) => void;
}

/**
 * Renews the leases of the batches with running calls every third of the lease, in one script
 * call per queue. A call whose deadline (plus grace) passed no longer keeps its batch's lease, so
 * a handler that ignores ctx.signal cannot hold a call forever: once no call of its batch still
 * in time is running, the lease expires and the reaper hands back what was not settled.
 */
export class LeaseKeeper {
  readonly #o: LeaseKeeperOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: LeaseKeeperOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.#o.leaseMs / 3)));
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async renew(): Promise<void> {
    const now = Date.now();
    const byQueue = new Map<QueueKeys, Set<string>>();
    for (const held of this.#o.held) {
      if (now > held.deadline + this.#o.graceMs) continue;
      let batches = byQueue.get(held.keys);
      if (!batches) byQueue.set(held.keys, (batches = new Set()));
      batches.add(held.batch);
    }
    await Promise.all(
      [...byQueue].map(async ([keys, batches]) => {
        try {
          for (const batch of await this.#o.extend(keys, [...batches])) this.#o.onLost(keys, batch);
        } catch (err) {
          this.#o.onError(err);
        }
      }),
    );
  }
}
