import { Command, type Cluster } from 'ioredis';
import { ERROR_CODES, TaskwireError } from '../errors.js';
import type { Connection } from './connection.js';

/**
 * The durability option of clients and workers (docs/SENTINEL.md, *Durability*). Redis replicates
 * asynchronously: a write the primary acknowledged can vanish when a replica is promoted before
 * it arrived. With this option every enqueue and every completion is followed, on the same
 * connection and pipelined right behind it, by `WAIT replicas timeoutMs`, and counts as done only
 * when enough replicas have it. WAIT cannot run inside a script, hence a command of its own.
 */
export interface DurabilityOptions {
  /** Replicas that must hold each enqueue and completion before it counts as done (WAIT's numreplicas). */
  replicas: number;
  /** How long one WAIT may block, in ms (default 1000); a shortfall re-sends the write and waits again. */
  timeoutMs?: number;
}

/** Data of a NOT_REPLICATED error. */
export interface NotReplicatedData {
  /** Replicas asked for, and the most that confirmed the write in any one WAIT. */
  replicas: number;
  acknowledged: number;
}

const DEFAULT_TIMEOUT_MS = 1_000;

/** Checks the option where a client or worker is created (VALIDATION otherwise); undefined when off. */
export function checkDurability(options: DurabilityOptions | undefined, caller: string): Required<DurabilityOptions> | undefined {
  if (options === undefined) return undefined;
  const { replicas, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  if (!(Number.isInteger(replicas) && replicas >= 1)) throw new TaskwireError(ERROR_CODES.VALIDATION, `${caller}: durability.replicas must be an integer of at least 1, got ${String(replicas)}`);
  if (!(Number.isInteger(timeoutMs) && timeoutMs >= 1)) throw new TaskwireError(ERROR_CODES.VALIDATION, `${caller}: durability.timeoutMs must be a positive integer, got ${String(timeoutMs)}`);
  return { replicas, timeoutMs };
}

/**
 * Runs writes that may be sent twice (an enqueue is recognised by its sent marker, a completion
 * by its lease token) and waits for replicas after each.
 */
export class Durability {
  readonly #redis: Connection;
  readonly #o: Required<DurabilityOptions>;

  constructor(redis: Connection, options: Required<DurabilityOptions>) {
    this.#redis = redis;
    this.#o = options;
  }

  /**
   * Sends the write and `WAIT` right behind it. While fewer replicas than asked confirm it, sends
   * it again (it may be the write a failover lost; if not, the second is a no-op) and waits
   * again, until `giveUpAt`: then rejects with NOT_REPLICATED. `merge` combines what the first
   * answer said with what a re-sent one says (a no-op answers differently).
   *
   * The WAIT covers the write because both go down one connection in order: ioredis sends a
   * script as EVAL on a socket's first use (ioredis 5 and 6, lib/Script.ts), so a script is never
   * re-sent behind the WAIT after NOSCRIPT; commands cut off by a lost connection are re-sent in
   * their order on the next one (autoResendUnfulfilledCommands).
   */
  async write<T>(send: () => Promise<T>, merge: (first: T, again: T) => T, giveUpAt: number, key: string): Promise<T> {
    let result: T | undefined;
    let most = 0;
    for (let attempt = 0; ; attempt++) {
      const written = send();
      const acked = this.#wait(written, key);
      // The WAIT's outcome is read after the write's; a failed write must not leave it unhandled.
      acked.catch(() => undefined);
      const answer = await written;
      result = result === undefined ? answer : merge(result, answer);
      const n = Number(await acked);
      if (n >= this.#o.replicas) return result;
      most = Math.max(most, n);
      if (Date.now() >= giveUpAt) {
        throw new TaskwireError<'NOT_REPLICATED', NotReplicatedData>(
          ERROR_CODES.NOT_REPLICATED,
          `Redis applied the write but only ${most} of ${this.#o.replicas} replicas confirmed it (WAIT, ${attempt + 1} tries); a failover now could lose it`,
          { data: { replicas: this.#o.replicas, acknowledged: most } },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 1_000)));
    }
  }

  /**
   * WAIT on the connection the write went down. On one Redis, pipelined right behind it. On a
   * Cluster a keyless WAIT would go to any node: it is sent, once the write has answered, on the
   * connection to the primary that now holds `key`'s slot (ioredis keeps one per node, and updates
   * its slot map on a redirect before the write answers), so it follows the write there. One round
   * trip more per write, paid only with the option on a Cluster.
   */
  async #wait(written: Promise<unknown>, key: string): Promise<unknown> {
    if (!this.#redis.isCluster) return this.#redis.wait(this.#o.replicas, this.#o.timeoutMs);
    await written;
    const cluster = this.#redis as Cluster;
    // The slot as ioredis computes it for routing (its Command, not a hash of our own).
    const owner = cluster.slots[new Command('exists', [key]).getSlot()]?.[0];
    const node = cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
    // The slot map is being rebuilt (a failover): no confirmation this time, so the write goes again.
    if (!node) return 0;
    return node.wait(this.#o.replicas, this.#o.timeoutMs);
  }
}
