import { toTaskwireError, type TaskwireError } from '../errors.js';
import type { CallEnvelope } from '../wire/envelope.js';
import type { Logger } from '../logger.js';
import type { QueueKeys } from '../wire/keys.js';

/** A call as a worker observer sees it. */
export interface WorkerCall {
  /** The queue as callers name it (`images`, also for a call taken from partition `images#1`). */
  readonly queue: string;
  /** The partition it was taken from, for a partitioned queue (docs/PARTITIONS.md). */
  readonly partition?: number | undefined;
  readonly callId: string;
  /** Dotted task path. */
  readonly task: string;
  readonly attempt: number;
  /** How many times this attempt was handed to a worker (more than 1 after a crash). */
  readonly deliveries: number;
  readonly headers: Readonly<Record<string, string>>;
  /** When the caller sent it, ms since epoch (caller's clock). */
  readonly sentAt: number;
  readonly deadline: number;
}

/**
 * What happens to calls in a worker, for metrics, tracing and logs. Synchronous; a throw is
 * logged and the call goes on. Every taken call that decodes ends in exactly one of succeeded,
 * failed (retried and deadLettered come with a failed), expired or malformed; fenced follows
 * when its settle found the lease gone.
 */
export interface WorkerObserver {
  /** Whether it wants events now (default: always); while no observer does, none is told. */
  active?(): boolean;
  /** The handler is about to run. */
  started?(call: WorkerCall): void;
  /** The result reached Redis. */
  succeeded?(call: WorkerCall, runMs: number): void;
  /** The call failed with this error (the handler's, or the worker's checks'). */
  failed?(call: WorkerCall, error: TaskwireError<string, unknown>): void;
  /** Its next attempt was scheduled after `delayMs`. */
  retried?(call: WorkerCall, delayMs: number): void;
  /** It was set aside on the dead-letter stream for `reason`. */
  deadLettered?(call: WorkerCall, reason: string): void;
  /** It was not run: its deadline had passed when it was taken. */
  expired?(call: WorkerCall): void;
  /** Its result was dropped: the lease was lost meanwhile (another worker owns the call). */
  fenced?(call: WorkerCall): void;
  /** A message on the queue (as callers name it) was not a readable call; it was set aside. */
  malformed?(queue: string, reason: string): void;
}

export interface WorkerStats {
  /** Calls handed to this worker. */
  taken: number;
  /** Handler runs started. */
  started: number;
  /** Results that reached Redis (fenced ones are counted in `fenced` only). */
  succeeded: number;
  failed: number;
  retried: number;
  deadLettered: number;
  /** Calls skipped because their deadline had passed before they started. */
  expired: number;
  /** Results dropped because the lease was lost meanwhile (another worker owns the call). */
  fenced: number;
}

/** Where a call was taken from: a queue, or one partition of a partitioned queue. */
type Source = Pick<QueueKeys, 'queue' | 'logical' | 'partition'>;

/** Calls of one queue (or partition) settled by this worker since it started (for its info record's throughput). */
export interface QueueTally {
  succeeded: number;
  /** Failed attempts, retried and dead-lettered ones included, and calls that expired before they ran. */
  failed: number;
}

type Notify = (o: WorkerObserver, call: WorkerCall) => void;

/**
 * The worker's events: counts them in `stats` and tells the observers. With no observer
 * registered an event is a counter increment; the WorkerCall view is only made for observers.
 */
export class WorkerEvents {
  readonly stats: WorkerStats = { taken: 0, started: 0, succeeded: 0, failed: 0, retried: 0, deadLettered: 0, expired: 0, fenced: 0 };
  /** Per queue, each partition apart: a map lookup per settled call, so throughput per queue needs no observer. */
  readonly byQueue = new Map<string, QueueTally>();
  readonly #observers: readonly WorkerObserver[];
  readonly #logger: Logger;

  /** Some observer has no `active`: observers are always told. */
  readonly #always: boolean;
  readonly #actives: Array<() => boolean>;

  constructor(observers: readonly WorkerObserver[] | undefined, logger: Logger) {
    this.#observers = observers ?? [];
    this.#logger = logger;
    this.#always = this.#observers.some((o) => !o.active);
    this.#actives = this.#observers.flatMap((o) => (o.active ? [o.active.bind(o)] : []));
  }

  /** Whether any observer wants events now. */
  get observed(): boolean {
    return this.#always || (this.#actives.length > 0 && this.#actives.some((f) => f()));
  }

  taken(): void {
    this.stats.taken++;
  }

  started(from: Source, env: CallEnvelope, deliveries: number): void {
    this.stats.started++;
    if (this.observed) this.#tell(from, env, deliveries, (o, c) => o.started?.(c));
  }

  succeeded(from: Source, env: CallEnvelope, deliveries: number, runMs: number): void {
    this.stats.succeeded++;
    this.#tally(from.queue).succeeded++;
    if (this.observed) this.#tell(from, env, deliveries, (o, c) => o.succeeded?.(c, runMs));
  }

  failed(from: Source, env: CallEnvelope, deliveries: number, error: TaskwireError<string, unknown>): void {
    this.stats.failed++;
    this.#tally(from.queue).failed++;
    if (this.observed) this.#tell(from, env, deliveries, (o, c) => o.failed?.(c, error));
  }

  retried(from: Source, env: CallEnvelope, deliveries: number, delayMs: number): void {
    this.stats.retried++;
    if (this.observed) this.#tell(from, env, deliveries, (o, c) => o.retried?.(c, delayMs));
  }

  deadLettered(from: Source, env: CallEnvelope | undefined, deliveries: number, reason: string): void {
    this.stats.deadLettered++;
    if (this.observed && env) this.#tell(from, env, deliveries, (o, c) => o.deadLettered?.(c, reason));
  }

  expired(from: Source, env: CallEnvelope, deliveries: number): void {
    this.stats.expired++;
    this.#tally(from.queue).failed++;
    if (this.observed) this.#tell(from, env, deliveries, (o, c) => o.expired?.(c));
  }

  fenced(from: Source, env: CallEnvelope | undefined, deliveries: number): void {
    this.stats.fenced++;
    if (this.observed && env) this.#tell(from, env, deliveries, (o, c) => o.fenced?.(c));
  }

  malformed(from: Source, reason: string): void {
    for (const o of this.#observers) this.#guard(() => o.malformed?.(from.logical, reason));
  }

  #tally(queue: string): QueueTally {
    let t = this.byQueue.get(queue);
    if (t === undefined) {
      t = { succeeded: 0, failed: 0 };
      this.byQueue.set(queue, t);
    }
    return t;
  }

  /** Only called with observers registered: the closures it gets are then the only cost. */
  #tell(from: Source, env: CallEnvelope, deliveries: number, notify: Notify): void {
    const call: WorkerCall = {
      queue: from.logical,
      partition: from.partition,
      callId: env.id,
      task: env.task,
      attempt: env.attempt,
      deliveries,
      headers: env.headers ?? {},
      sentAt: env.sentAt,
      deadline: env.deadline,
    };
    for (const o of this.#observers) this.#guard(() => notify(o, call));
  }

  #guard(f: () => void): void {
    try {
      f();
    } catch (err) {
      this.#logger.warn("taskwire: a worker observer threw; the call goes on", { error: toTaskwireError(err).message });
    }
  }
}
