import type { QueueKeys } from '../wire/keys.js';

export interface Held {
  keys: QueueKeys;
  token: string;
  deadline: number;
}

export interface LeaseKeeperOptions {
  /** The running calls; the worker adds and removes them. */
  held: ReadonlySet<Held>;
  leaseMs: number;
  /** How long past its call's deadline a lease may still be renewed. */
  graceMs: number;
  extend: (keys: QueueKeys, tokens: string[]) => Promise<string[]>;
  /** A lease found gone: the reaper gave the call to another worker. */
  onLost: (keys: QueueKeys, token: string) => void;
  onError: (err: unknown) => void;
}

/**
 * Renews the leases of running calls every third of the lease, in one script call per queue.
 * A call whose deadline (plus grace) passed is no longer renewed, so a handler that ignores
 * ctx.signal cannot hold a call forever.
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
    const byQueue = new Map<QueueKeys, string[]>();
    for (const held of this.#o.held) {
      if (now > held.deadline + this.#o.graceMs) continue;
      let list = byQueue.get(held.keys);
      if (!list) byQueue.set(held.keys, (list = []));
      list.push(held.token);
    }
    await Promise.all(
      [...byQueue].map(async ([keys, tokens]) => {
        try {
          for (const token of await this.#o.extend(keys, tokens)) this.#o.onLost(keys, token);
        } catch (err) {
          this.#o.onError(err);
        }
      }),
    );
  }
}
