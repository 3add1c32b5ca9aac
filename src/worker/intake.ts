import type { Logger } from '../logger.js';
import type { QueueKeys } from '../wire/keys.js';
import type { QueueStore } from '../transport/queue-store.js';
import type { TakeLimits, TakenCall } from '../transport/take-request.js';
import { FairQueues } from './fair-queues.js';
import { Fetcher } from './fetcher.js';
import { Slots } from './slots.js';
import { TakeBudget } from './take-budget.js';

export interface IntakeOptions {
  /** The worker's id, named with each lease it takes. */
  workerId: string;
  concurrency: number;
  queues: readonly QueueKeys[];
  maxDeliveries: number;
  leaseMs: number;
  agingMs: number;
  maxPayloadBytes: number;
  deadLetterMaxLen: number;
  /** With signing: the signed outcome of a detached call a take drops unrun (protocol.ts UNRUN_REPLY_TAILS). */
  cancelledReply: string | undefined;
  limits: (queue: string) => TakeLimits | undefined;
  /** How many calls are worth taking at once (shared with the call handler, which feeds it). */
  budget: TakeBudget;
  /** Runs one taken call; `free` gives its slot back as soon as the handler is done. */
  handle: (keys: QueueKeys, call: TakenCall, free: () => void) => Promise<unknown>;
  logger: Logger;
  /** Whether a failing take is news (not while the worker closes). */
  running: () => boolean;
}

/**
 * How calls come into a worker: one fetcher per queue, sharing the worker's slots (slots.ts)
 * fairly between its queues (fair-queues.ts), never taking more than it can start soon
 * (take-budget.ts), and running at most one suspect call at a time (take-quarantine.lua). Holds
 * the calls being handled, for close() to drain.
 */
export class Intake {
  readonly #o: IntakeOptions;
  readonly #slots: Slots;
  readonly #fair: FairQueues;
  /** Every call being handled, until its settle is done. */
  readonly handling = new Set<Promise<unknown>>();
  /**
   * Calls delivered this often without being settled may be what killed their workers: each
   * worker runs one such suspect at a time (take-quarantine.lua), so co-tenants of a poison call
   * are not charged its crashes. Below maxDeliveries, so an innocent suspect still gets its turn.
   */
  readonly #suspectFrom: number;
  #suspect: Promise<unknown> | undefined;
  #fetchers: Fetcher[] = [];

  constructor(options: IntakeOptions) {
    this.#o = options;
    this.#slots = new Slots(options.concurrency);
    this.#fair = new FairQueues(options.concurrency, options.queues);
    this.#suspectFrom = Math.max(1, Math.min(2, options.maxDeliveries - 1));
  }

  /** Starts one fetcher per queue: `store` on the command connection, `blocking(keys)` its own. */
  start(store: QueueStore, blocking: (keys: QueueKeys) => QueueStore): void {
    const o = this.#o;
    this.#fetchers = o.queues.map(
      (keys) =>
        new Fetcher({
          keys,
          workerId: o.workerId,
          store,
          blocking: blocking(keys),
          slots: this.#slots,
          parkedTake: o.queues.length === 1,
          budget: () => o.budget.limit(),
          share: () => this.#fair.allowance(keys.queue),
          hungry: (more) => this.#fair.hungry(keys.queue, more),
          leaseMs: o.leaseMs,
          agingMs: o.agingMs,
          limits: o.limits(keys.queue),
          maxPayloadBytes: o.maxPayloadBytes,
          deadLetterMaxLen: o.deadLetterMaxLen,
          cancelledReply: o.cancelledReply,
          suspects: () => ({ from: this.#suspectFrom, mayTake: this.#suspect === undefined }),
          suspectDone: async () => {
            await this.#suspect;
          },
          onCall: (call) => this.#run(keys, call),
          onError: (err) => {
            // A fetcher cut off by close() is no news.
            if (o.running()) o.logger.warn('taskwire: taking calls failed; retrying', { queue: keys.queue, error: String(err) });
          },
        }),
    );
    for (const f of this.#fetchers) f.start();
  }

  #run(keys: QueueKeys, call: TakenCall): void {
    let freed = false;
    this.#fair.held(keys.queue, 1);
    const free = () => {
      if (freed) return;
      freed = true;
      this.#slots.release();
      this.#fair.held(keys.queue, -1);
    };
    const p: Promise<unknown> = this.#o
      .handle(keys, call, free)
      .catch((err: unknown) => this.#o.logger.error('taskwire: call handling failed', { error: String(err) }))
      .finally(() => {
        this.handling.delete(p);
        if (this.#suspect === p) this.#suspect = undefined;
        free();
      });
    this.handling.add(p);
    if (call.deliveries - 1 >= this.#suspectFrom) this.#suspect = p;
  }

  /** Stops taking (a fetcher parked on a connection that was cut ends at once); resolves when they have. */
  async stop(): Promise<void> {
    this.#slots.wakeAll();
    await Promise.all(this.#fetchers.map((f) => f.stop()));
  }

  /** Forgets the fetchers of a start that is over. */
  reset(): void {
    this.#fetchers = [];
  }
}
