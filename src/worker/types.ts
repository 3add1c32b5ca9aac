import type { z } from 'zod';
import type { TaskError } from '../errors.js';
import type { AnyTask } from '../contract/task.js';
import type { RouterShape } from '../contract/router.js';
import type { HandlerInput, HandlerOutput, HandlerProgress, TaskErrorCode, TaskErrorData } from '../contract/infer.js';
import type { Serializer } from '../wire/serializer.js';
import type { RedisSource } from '../transport/connection.js';
import type { SigningOptions } from '../wire/signing.js';
import type { Logger } from '../logger.js';
import type { GroupLimits } from './limits.js';
import type { Middleware } from './middleware.js';
import type { WorkerObserver, WorkerStats } from './worker-events.js';
import type { ChildClient, ClientOf, RoutesOf } from '../client/types.js';
import type { DurabilityOptions } from '../transport/durability.js';

export type { WorkerStats } from './worker-events.js';

/** What a handler sees besides its input. */
export interface TaskContext<T extends AnyTask = AnyTask, R extends RouterShape = RouterShape> {
  readonly callId: string;
  /** Dotted task path. */
  readonly task: string;
  /** 1 for the first attempt; retries increment it. */
  readonly attempt: number;
  /** How many times this attempt was handed to a worker (more than 1 after a crash). */
  readonly deliveries: number;
  /** Absolute deadline, ms since epoch; `signal` aborts when it passes. */
  readonly deadline: number;
  /** Aborts at the deadline, on cancellation by the caller, on a lost lease, or on close. */
  readonly signal: AbortSignal;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Calls the worker's own contract as children of this call (docs/WORKFLOWS.md): each ends by
   * this call's deadline, is cancelled with it, carries its headers, and runs once however often
   * this call is retried or redelivered (a retry gets the outcomes of children that succeeded,
   * and joins those still running). Made on first use.
   */
  readonly client: ChildClient<ClientOf<R>>;
  /** Child calls of another contract, or of a generated client's routes. */
  clientOf<C>(routes: RoutesOf<C>): ChildClient<C>;
  clientOf<R2 extends RouterShape>(contract: R2): ChildClient<ClientOf<R2>>;
  /**
   * Reports progress, for tasks that declare a `progress` schema (a compile error otherwise):
   * validated (VALIDATION thrown on a bad value), then sent to the caller's onProgress and a
   * detached call's status, at most one per 100 ms (the latest wins).
   */
  progress(value: HandlerProgress<T>): void;
  /** Builds a declared error to throw: `throw ctx.error('NOT_FOUND', { url })`. */
  error<C extends TaskErrorCode<T>>(
    code: C,
    data: ErrorDataInput<T, C>,
    options?: { message?: string; retryable?: boolean },
  ): TaskError<C, TaskErrorData<T, C>>;
}

type ErrorDataInput<T extends AnyTask, C extends TaskErrorCode<T>> =
  T['errors'][C] extends z.ZodType ? z.input<T['errors'][C]> : never;

export type Handler<T extends AnyTask, R extends RouterShape = RouterShape> = (
  input: HandlerInput<T>,
  ctx: TaskContext<T, R>,
) => Promise<HandlerOutput<T>> | HandlerOutput<T>;

/** The implementation of a contract: the same shape, with a handler at each task. */
export type Handlers<R extends RouterShape, Root extends RouterShape = R> = {
  [K in Extract<keyof R, string>]: R[K] extends AnyTask ? Handler<R[K], Root> : R[K] extends RouterShape ? Handlers<R[K], Root> : never;
};

export interface WorkerOptions {
  /**
   * Signed messages (docs/SECURITY.md, *Signing*): HMAC-SHA256 over each call and reply, so that
   * write access to Redis alone cannot make a worker run a forged call or a caller accept a
   * forged result. Clients, workers and the admin API of a prefix share the keys.
   */
  signing?: SigningOptions;
  /**
   * Where Redis is: a redis:// URL, ioredis options, `{ cluster: [{ host, port }] }`, or an
   * ioredis 5 or 6 `Redis` or `Cluster` of the app's (duplicated, never used itself). Checked
   * at creation: `undefined` (an unset REDIS_URL) or an object taskwire does not know throws a
   * VALIDATION error; there is no default server.
   */
  redis: RedisSource;
  /**
   * Wait for replicas before an enqueue (client) or a completion (worker) counts as done: `WAIT
   * replicas timeoutMs` pipelined behind each, the write re-sent while fewer confirm it (see
   * docs/SENTINEL.md, *Durability*). Off by default, and then no command is added. Not on Cluster.
   */
  durability?: DurabilityOptions;
  /**
   * How long start() waits for Redis before it rejects with CONNECTION, naming the address and
   * the cause (ECONNREFUSED, ENOTFOUND, ...). A refused password fails at once. Default 10 s.
   */
  connectTimeoutMs?: number;
  /** Key prefix shared with clients. Default "tw". */
  prefix?: string;
  /** Calls run at once by this worker, over all its queues. Default 16. */
  concurrency?: number;
  /** Serve only these queues (default: every queue the contract names). */
  queues?: readonly string[];
  /** Visibility timeout of a taken call; renewed every third of it while the handler runs. Default 30 s. */
  leaseMs?: number;
  /** How often the heartbeat and lease reaping run (retries and delays run when due, not at this tick). Default 1 s. */
  maintenanceIntervalMs?: number;
  /** A worker silent this long is gone (clients get NO_WORKERS when all are). Default 10 s. */
  workerTtlMs?: number;
  /** Deliveries of one attempt before it is dead-lettered (a call that keeps crashing workers). Default 5. */
  maxDeliveries?: number;
  /**
   * Larger raw messages are set aside unread, and a larger result is answered with
   * PAYLOAD_TOO_LARGE instead. Default 4 MiB; keep ≥ the clients' limit.
   */
  maxPayloadBytes?: number;
  /**
   * How long an unread result is kept for a caller that reconnects: its client's replies hash
   * lives at least this long after the last reply written to it; a stored output (8 KiB or more)
   * and a reply key (older clients) this long. Default 60 s.
   */
  replyTtlMs?: number;
  /** Priority aging for calls the worker puts back (retries, hand-backs); as the clients'. Default 1000. */
  priorityAgingMs?: number;
  /** How long a lease may outlive its call's deadline when a handler ignores ctx.signal. Default 5 s. */
  deadlineGraceMs?: number;
  /** Approximate cap on the dead-letter stream of each queue. Default 10,000. */
  deadLetterMaxLen?: number;
  /** Default drain time for close(). Default 10 s. */
  drainTimeoutMs?: number;
  serializer?: Serializer;
  /**
   * Results of 8 KiB or more go to a key of their own and the reply only names it, instead of
   * passing through the settle script (docs/PROTOCOL.md, *Stored payloads*). Default true. Set
   * false while clients older than this feature still call the queue: they cannot read one.
   */
  storeLargeResults?: boolean;
  logger?: Logger;
  /**
   * Limits every fair group (call option `group`) of this worker's queues has, enforced in Redis
   * over all workers: `{ concurrency?, rateLimit?: { max, perMs } }`. All workers of a queue
   * must agree (docs/SCHEDULING.md).
   */
  groups?: GroupLimits;
  /** Around every handler, first registered outermost (worker/middleware.ts). None by default, and then free. */
  middleware?: readonly Middleware[];
  /** Told what happens to calls: started, succeeded, failed, retried, ... (worker/worker-events.ts). */
  observers?: readonly WorkerObserver[];
}

export interface Worker {
  readonly id: string;
  /**
   * Connects, announces the worker and starts taking calls; resolves once it does. Rejects with
   * CONNECTION when Redis does not answer within `connectTimeoutMs` (having closed what it
   * opened: start() may be called again). Warns once, through the logger, when Redis may evict
   * keys (a `maxmemory-policy` other than noeviction). Resolves without starting when close()
   * is called meanwhile.
   */
  start(): Promise<void>;
  /**
   * Stops taking calls, lets running ones finish within the drain time, returns the rest.
   * Waits for a pending start() (cutting its wait for Redis short). Idempotent: every call
   * returns the same promise. When it resolves, nothing of the worker runs, waits or logs.
   */
  close(options?: { drainTimeoutMs?: number }): Promise<void>;
  /** `await using worker = createWorker(...)`: close() when the scope ends. */
  [Symbol.asyncDispose](): Promise<void>;
  readonly stats: Readonly<WorkerStats>;
  /** Calls running now. */
  readonly running: number;
  /**
   * The one-liner for worker processes: on SIGTERM or SIGINT, close() (drain, hand back the
   * rest) and then exit 0. A second signal while draining exits 1 at once.
   */
  closeOnSignals(options?: { signals?: readonly NodeJS.Signals[]; exit?: boolean; drainTimeoutMs?: number }): void;
}
