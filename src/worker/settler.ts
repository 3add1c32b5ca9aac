import type { Logger } from '../logger.js';
import type { CallEnvelope } from '../wire/envelope.js';
import type { QueueKeys } from '../wire/keys.js';
import { redisErrorCode } from '../transport/connection.js';
import type { PayloadStore } from '../transport/payload-store.js';
import type { Replier } from './replier.js';
import type { OkSettlement } from './settlements.js';
import type { WorkerEvents } from './worker-events.js';

export interface SettlerOptions {
  payloads: () => PayloadStore;
  replier: () => Replier;
  logger: Logger;
  leaseMs: number;
  replyTtlMs: number;
  closed: () => boolean;
  events: WorkerEvents;
}

/**
 * Delivers a settlement while Redis is away: a computed result is worth keeping until the lease
 * ends. A large result's output is written first (awaited, once), so the reply never names an
 * output that is not there yet.
 */
export class Settler {
  readonly #o: SettlerOptions;

  constructor(options: SettlerOptions) {
    this.#o = options;
  }

  /**
   * 'settled'; 'fenced' when the lease was lost meanwhile and the result dropped; 'lost' when
   * Redis did not come back before the lease ended (the call will be redelivered).
   */
  async settle(keys: QueueKeys, item: OkSettlement, env: CallEnvelope | undefined, deliveries: number): Promise<'settled' | 'fenced' | 'lost'> {
    const giveUp = Date.now() + this.#o.leaseMs;
    let written = false;
    for (;;) {
      try {
        // A fenced worker's output is left to its TTL: "not settled" may also be a re-sent
        // complete whose first run settled, and its reply names this very key.
        const stored = item.storedOutput;
        if (stored && !written) {
          written = await this.#storeOutput(keys, item.callId, item.token, stored.text);
          if (!written) {
            // Redis refused it (OOM, an ACL without output keys): the result goes inline instead.
            item.payload = stored.inline;
            item.storedOutput = undefined;
          }
        }
        if (await this.#o.replier().settle(keys, item)) return 'settled';
        this.#o.events.fenced(keys, env, deliveries);
        return 'fenced';
      } catch (err) {
        // Closed: its connection went with close(), which handed the call back (or its lease
        // brings it back); nothing of a closed worker logs (a handler that ignored its signal
        // and ended after the drain lands here).
        if (this.#o.closed()) return 'lost';
        if (Date.now() > giveUp) {
          this.#o.logger.error('taskwire: could not settle a call; it will be redelivered after its lease', { callId: item.callId, error: String(err) });
          return 'lost';
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /** Writes a stored result; false if Redis refused it (connection errors throw, and settle() retries). */
  async #storeOutput(keys: QueueKeys, callId: string, token: string, text: string): Promise<boolean> {
    try {
      await this.#o.payloads().writeOutput(keys, callId, token, text, this.#o.replyTtlMs);
      return true;
    } catch (err) {
      if (redisErrorCode(err) === undefined) throw err;
      this.#o.logger.warn('taskwire: could not store a large result; sending it inline', { error: (err as Error).message });
      return false;
    }
  }
}
