import type { QueueKeys } from '../wire/keys.js';
import type { QueueStore } from '../transport/queue-store.js';
import type { SuspectRule, TakeLimits, Taken, TakenCall } from '../transport/take-request.js';
import type { Slots } from './slots.js';

export interface FetcherOptions {
  keys: QueueKeys;
  /** Named with each lease it takes (take-lease.lua). */
  workerId: string;
  /** The queue store on the worker's command connection. */
  store: QueueStore;
  /** The queue store on a connection of this fetcher's own: it spends idle time parked (BLPOP). */
  blocking: QueueStore;
  slots: Slots;
  /**
   * Whether free slots may be reserved while parked, so the take can be queued behind the park
   * (see #park). True only when this is the worker's one fetcher: with several, a parked
   * fetcher would keep the slots another queue's calls could run in.
   */
  parkedTake: boolean;
  /** Most calls worth taking at once (see take-budget.ts). */
  budget: () => number;
  /** Most calls this queue may take now so that the worker's other queues get their share (fair-queues.ts). */
  share: () => number;
  /** This queue's last take filled all it asked for: it has more work (fair-queues.ts). */
  hungry: (more: boolean) => void;
  leaseMs: number;
  /** Priority aging for the calls a take routes (route.lua). */
  agingMs: number;
  /** The queue's rate and concurrency limits, if any (limits.ts). */
  limits: TakeLimits | undefined;
  maxPayloadBytes: number;
  deadLetterMaxLen: number;
  /** With signing: the signed outcome of a detached call a take drops unrun. */
  cancelledReply: string | undefined;
  /** Whether this worker may take a suspect call now (see take-quarantine.lua). */
  suspects: () => SuspectRule;
  /** Resolves when this worker's running suspect has settled. */
  suspectDone: () => Promise<void>;
  onCall: (call: TakenCall) => void;
  onError: (err: unknown) => void;
}

/**
 * Most calls taken in one round trip. A take never asks for more than the free slots, so a
 * worker holds at most `concurrency` calls; this only bounds the script's reply. Taking all free
 * slots at once, not 64 at a time, gave +19% calls/s at 100 slots (issue 5).
 */
const MAX_TAKE = 1000;

/**
 * Takes calls for one queue. While the queue has work, `take` leases up to the number of free
 * slots in one script call. When it is empty, the fetcher parks: BLPOP on the queue's marker
 * list, which whoever adds calls (enqueue, retries coming due, expired leases, replays) fills
 * with a token (lua/include/wake.lua). The park moves no call, so a worker that dies parked
 * loses nothing, and any number of source lists can wake it.
 *
 * A worker with one queue sends its take right behind the park, on the blocking connection:
 * Redis holds the take in that connection's input until BLPOP returns and runs it at once, so
 * an idle worker gets a call in one round trip instead of two, and it parks again straight after
 * a take that left the queue empty instead of first making a take that finds nothing (issue 5:
 * sequential p50 0.53 → 0.42 ms, p99 3.5 → 2.7 ms).
 */
export class Fetcher {
  readonly #o: FetcherOptions;
  #stopped = false;
  #done: Promise<void> | undefined;
  /** How long a park may block: until the queue's next delayed call is due, at most 1 s. */
  #parkSeconds = 1;

  constructor(options: FetcherOptions) {
    this.#o = options;
  }

  start(): void {
    this.#done ??= this.#loop();
  }

  async #loop(): Promise<void> {
    const o = this.#o;
    // The last take left the queue empty: park (with the take queued behind) rather than take again.
    let park = false;
    // The check phase after the calls of the last take were handed out; see below.
    let turn: CheckPhase | undefined;
    while (!this.#stopped) {
      await o.slots.whenFree();
      // Handlers that finish in one turn of the event loop free their slots one microtask after
      // another: waking on the first would take one call per round trip. In the check phase
      // (setImmediate) all of them are free, and one take fetches them all (issue 5: +20% calls/s).
      // That setImmediate was made before the handlers ran, so it comes before the one in which
      // the Replier sends their results: the take reaches Redis ahead of the `complete`, and
      // the next batch comes back without waiting for the settling of this one (issue 5: +8–12%
      // calls/s at 1,000 in flight with one worker).
      // Slower handlers freed their slots after it passed: then wait for the next check phase.
      await (turn && !turn.passed ? turn.reached : new CheckPhase().reached);
      turn = undefined;
      if (this.#stopped) break;
      // Reserved before the round trip: fetchers of other queues share these slots.
      const want = Math.min(o.slots.free, MAX_TAKE, o.budget(), o.share());
      // Another queue's fetcher took the free slots meanwhile: wait again rather than make a
      // take that may lease nothing.
      if (want <= 0) continue;
      o.slots.acquire(want);
      try {
        let taken: TakenCall[] = [];
        let blocked = false;
        try {
          let nextDueMs: number;
          ({ calls: taken, blocked, nextDueMs } = await (park ? this.#park(want) : this.#take(o.store, want)));
          // A delayed call due soon: park no longer than that, so it runs on time (to ~10 ms).
          this.#parkSeconds = nextDueMs < 0 ? 1 : Math.min(1, Math.max(0.01, nextDueMs / 1000));
        } finally {
          // Give back what the queue could not fill (all of it if the take failed).
          o.slots.release(want - taken.length);
        }
        if (this.#stopped && taken.length === 0) break;
        if (taken.length > 0) turn = new CheckPhase();
        for (const call of taken) o.onCall(call);
        // A second suspect heads the queue: run ours to its end first (parking would only spin on it).
        if (blocked) await o.suspectDone();
        o.hungry(taken.length === want);
        park = o.parkedTake && !blocked && taken.length < want;
        if (taken.length > 0 || blocked || o.parkedTake) continue;
        // Empty: park until a call arrives (1 s bound so close() and reconnects are noticed).
        await o.blocking.park(o.keys, this.#parkSeconds);
      } catch (err) {
        park = false;
        if (this.#stopped) break;
        o.onError(err);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  #take(store: QueueStore, want: number): Promise<Taken> {
    const o = this.#o;
    return store.take(o.keys, {
      max: want,
      workerId: o.workerId,
      leaseMs: o.leaseMs,
      agingMs: o.agingMs,
      limits: o.limits,
      maxBytes: o.maxPayloadBytes,
      deadMaxLen: o.deadLetterMaxLen,
      cancelledReply: o.cancelledReply,
      suspects: o.suspects(),
    });
  }

  /**
   * The park, and the take written right after it on the same connection: Redis runs the take
   * the moment BLPOP returns (a token arrived, or the 1 s bound passed), and both answers come
   * back together. If the connection drops after the take ran and before its answer is read,
   * the calls it leased come back when their leases expire, like a crashed worker's (a take on
   * the command connection has the same exposure).
   */
  async #park(want: number): Promise<Taken> {
    const o = this.#o;
    const parked = o.blocking.park(o.keys, this.#parkSeconds);
    const taken = this.#take(o.blocking, want);
    // Whatever the park answered, a take that ran has leased its calls: they must be run, not
    // dropped with an error of the park (awaiting both leaves no rejection unhandled).
    const [, result] = await Promise.allSettled([parked, taken]);
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  }

  /** Stops taking; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }
}

/** The next check phase of the event loop (a setImmediate), and whether it has passed. */
class CheckPhase {
  passed = false;
  readonly reached = new Promise<void>((resolve) =>
    setImmediate(() => {
      this.passed = true;
      resolve();
    }),
  );
}
