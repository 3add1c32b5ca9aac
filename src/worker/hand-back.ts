import type { Logger } from '../logger.js';
import type { QueueStore } from '../transport/queue-store.js';
import type { QueueKeys } from '../wire/keys.js';
import type { Running } from './call-handler.js';
import type { Replier } from './replier.js';
import { settledWithin } from './settled-within.js';

export interface HandBackOptions {
  queues: readonly QueueKeys[];
  store: QueueStore;
  replier: Replier | undefined;
  agingMs: number;
  /** How long close() waits for Redis to take the calls back; past it the reaper will. */
  withinMs: number;
  /** Read once, when the hand-back would start: a Redis known to be down is not waited for. */
  reachable: () => boolean;
  /** False once close() stopped waiting: a failure after that is no news. */
  closing: () => boolean;
  redis: () => string;
  logger: Logger;
}

/**
 * Returns the calls a closing worker did not finish (already aborted, so their late results are
 * fenced off) to their queues for another worker, and flushes the replies of those that did.
 * Never throws: what Redis does not take back in time, the reaper returns when the leases expire.
 */
export async function handBack(left: readonly Running[], o: HandBackOptions): Promise<void> {
  const release = async () => {
    for (const keys of o.queues) {
      const calls = left.filter((r) => r.keys === keys);
      for (const c of calls) o.replier?.book.handingBack(keys, c.batch);
      try {
        if (calls.length) await o.store.release(keys, calls, o.agingMs);
        await o.replier?.drain();
      } catch (err) {
        // Once close() stopped waiting for it (below), its failure is no news.
        if (o.closing()) o.logger.warn('taskwire: could not hand calls back on close; the reaper will', { error: String(err) });
      }
    }
  };
  const handedBack = o.reachable() && (await settledWithin(release(), o.withinMs));
  if (!handedBack && left.length > 0) {
    o.logger.warn('taskwire: Redis did not take calls back on close; the reaper will when their leases expire', {
      redis: o.redis(),
      calls: left.length,
    });
  }
}
