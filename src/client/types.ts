import type { RouteTable } from '../contract/route.js';
import type { AnyTask } from '../contract/task.js';
import type { RouterShape } from '../contract/router.js';
import type { TaskAt, TaskInput, TaskOutput, TaskPaths, TaskProgress } from '../contract/infer.js';
import type { RetryPolicy } from '../contract/task.js';
import type { ReplyMode } from '../wire/envelope.js';
import type { Serializer } from '../wire/serializer.js';
import type { RedisSource } from '../transport/connection.js';
import type { Logger } from '../logger.js';
import type { SigningOptions } from '../wire/signing.js';
import type { TaskwireError } from '../errors.js';
import type { ClientInterceptor } from './interceptor.js';
import type { EventsOptions, TaskEvents } from './task-events.js';
import type { LiveCheck } from './live-check.js';
import type { DurabilityOptions } from '../transport/durability.js';

export interface ClientOptions {
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
  /** Key prefix shared with the workers. Default "tw". */
  prefix?: string;
  /** How results come back unless a call says otherwise. Default "key". */
  replyMode?: ReplyMode;
  /**
   * Sharded pub/sub (Redis 7's SPUBLISH/SSUBSCRIBE): replies of reply mode "pubsub", progress
   * reports, cancellations and completion events travel on channels of the call's queue, which live on the queue's
   * shard, instead of PUBLISH, which a Redis Cluster copies to every node. Default false: workers
   * older than this option answer such calls with PROTOCOL (docs/SCALING.md, *Pub/sub*).
   */
  shardedPubSub?: boolean;
  /** Deadline for calls whose task and call set none. Default 30 s. */
  defaultTimeoutMs?: number;
  /** Largest serialized call accepted. Default 4 MiB; workers must allow at least as much. */
  maxPayloadBytes?: number;
  /**
   * How long a result this client's own enqueue delivers (an idempotency key's stored result)
   * is kept unread for it; workers keep every other result as long as their `replyTtlMs` says.
   * Default 60 s.
   */
  replyTtlMs?: number;
  /**
   * What a call does when no worker of its queue sent a heartbeat recently:
   * "fail" rejects at once with NO_WORKERS (default), "wait" enqueues anyway.
   */
  noWorkers?: 'fail' | 'wait';
  /** A worker silent for this long counts as gone. Must match the workers'. Default 10 s. */
  workerTtlMs?: number;
  serializer?: Serializer;
  /**
   * Calls of 8 KiB or more keep their input in a key of its own instead of passing it through
   * the queue's scripts (docs/PROTOCOL.md, *Stored payloads*): ~2.4x the calls/s at 1 MB.
   * Default true. Set false while workers older than this feature still serve the queue: they
   * cannot read a stored input.
   */
  storeLargeInputs?: boolean;
  /**
   * Priority aging: a prioritized call of priority p is due p x this many ms after it was sent,
   * and a due call goes before calls without priority. Default 1000 (docs/SCHEDULING.md).
   */
  priorityAgingMs?: number;
  /**
   * Hooks around every call (prepare, sent, settled), in order: tracing, metrics, signing and
   * logging plug in here (client/interceptor.ts). None by default, and then free.
   */
  interceptors?: readonly ClientInterceptor[];
  /**
   * Where the client reports what no call can: the first failure to reach Redis (once, with
   * the address and the cause, and a line when it is back), and Redis refusing the deletes of
   * replies it has read (an ACL without HDEL keeps them in the client's replies hash for as
   * long as workers write to it). Default: console.
   */
  logger?: Logger;
}

export interface CallOptions {
  /** Deadline relative to now; overrides the task's and the client's default. */
  timeoutMs?: number;
  /** Aborting rejects the call with CANCELLED and withdraws it if still queued. */
  signal?: AbortSignal;
  replyMode?: ReplyMode;
  /** String headers carried to the worker (ctx.headers), e.g. trace context. */
  headers?: Record<string, string>;
  /** Overrides the task's retry policy for this call. */
  retry?: RetryPolicy;
  noWorkers?: 'fail' | 'wait';
  /**
   * Calls with the same key (per queue) within `idempotencyTtlMs` run once; every caller gets
   * that one result, the error included.
   */
  idempotencyKey?: string;
  /** How long the key and its result are kept. Default 1 hour. */
  idempotencyTtlMs?: number;
  /**
   * 1 (most urgent) to 2,097,152; overrides the task's. Calls without a priority are taken
   * before prioritized ones, which age: one of priority p is due p x priorityAgingMs after it was
   * sent and then goes first (docs/SCHEDULING.md).
   */
  priority?: number;
  /** A fair group (tenant, user): the queue takes calls round-robin across groups. Not with `priority`. */
  group?: string;
  /** Run no earlier than this many ms from now; the deadline counts from then. */
  delayMs?: number;
  /** Run no earlier than this time (in the past: now); the deadline counts from then. */
  runAt?: Date;
  /**
   * For a task of a partitioned queue (docs/PARTITIONS.md): calls with the same key go to the same
   * partition, so they are taken in the order they were sent. Default: the idempotency key if
   * any, else round-robin. Ignored on a queue that is not partitioned, so a queue can be
   * partitioned later without changing its callers.
   */
  partitionKey?: string;
}

/** A detached call: sent, not awaited; its outcome is kept in Redis (docs/WORKFLOWS.md). */
export interface SendOptions extends Omit<CallOptions, 'replyMode' | 'idempotencyKey' | 'idempotencyTtlMs'> {
  /** How long its outcome is kept for `result()` from any process. Default: the task's, else 24 h. */
  resultTtlMs?: number;
}

/** How long to wait for a detached call's outcome, and a way to stop waiting. */
export interface WaitOptions {
  /** Default: the client's defaultTimeoutMs. TIMEOUT when it passes (the call goes on). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Where a detached call is. `unknown`: never sent, or its outcome expired. */
export type RunState = 'waiting' | 'delayed' | 'running' | 'succeeded' | 'failed' | 'unknown';

export interface RunStatus {
  readonly id: string;
  readonly state: RunState;
  readonly task?: string | undefined;
  /** The attempt running or last run (retries count up). */
  readonly attempt?: number | undefined;
  /** The latest progress its handler reported, if its task declares progress. */
  readonly progress?: unknown;
  /** For `failed`: the error its caller would have got. */
  readonly error?: TaskwireError<string, unknown> | undefined;
}

/** The ids a call's follow-ups get (`<id>.then`, `<id>.catch`): await them with `result(id)`. */
export interface FollowUpIds {
  readonly then: string | undefined;
  readonly catch: string | undefined;
}

/** A detached call, as `send()` answers it. */
export interface CallHandle<O> {
  readonly id: string;
  /** The ids of the follow-ups it names, known before they run (docs/WORKFLOWS.md, *Follow-ups*). */
  readonly followUps: FollowUpIds;
  /** Its outcome, awaited (from this process; `client.<task>.result(id)` does it from any). */
  result(options?: WaitOptions): Promise<O>;
  /** Where it is now. */
  status(): Promise<RunStatus>;
  /** Withdraws it if it is still waiting; otherwise its handler's ctx.signal aborts. */
  cancel(): Promise<void>;
}

/** The outcome of one call of `mapSettled`: its value, or the error it failed with. */
export type Settled<O> = { ok: true; value: O } | { ok: false; error: TaskwireError<string, unknown> };

export interface MapOptions extends CallOptions {
  /** Most calls running at once (an integer >= 1). Default: all at once. */
  concurrency?: number;
}

/** The arguments of a task's call: the input may be left out where the task's input accepts undefined. */
export type CallArgs<I, O extends CallOptions = CallOptions> = undefined extends I ? [input?: I, options?: O] : [input: I, options?: O];

/**
 * Every task of a contract by dotted path, with what a caller passes and gets: what follow-ups
 * are checked against. `TaskMapOf<typeof contract>`; codegen emits one for a generated client.
 */
export type TaskMap = { readonly [path: string]: { input: unknown; output: unknown } };

/** The input of a `catch` follow-up: which call failed, with what input, and how. */
export interface FailedCall<I> {
  callId: string;
  /** The failed call's task path. */
  task: string;
  /** Its input, as its caller sent it. */
  input: I;
  /** The error its caller got (declared errors' data decoded). */
  error: { code: string; message: string; data?: unknown };
}

/** The tasks of M whose input accepts an X. */
export type AcceptingTasks<M, X> = {
  [K in Extract<keyof M, string>]: M[K] extends { input: infer In } ? ([X] extends [In] ? K : never) : never;
}[Extract<keyof M, string>];

/**
 * A follow-up of a call whose result is an X: a task whose input accepts X (a compile error
 * otherwise), or one with follow-ups of its own, to any depth.
 */
export type FollowUp<M, X> =
  | AcceptingTasks<M, X>
  | {
      [K in AcceptingTasks<M, X>]: M[K] extends { input: infer In; output: infer Out }
        ? { task: K; then?: FollowUp<M, Out>; catch?: FollowUp<M, FailedCall<In>> }
        : never;
    }[AcceptingTasks<M, X>];

/** `then` and `catch`, where the client knows its contract's tasks (none without: no such options). */
export type FollowUpOptions<M, I, O> = [Extract<keyof M, string>] extends [never]
  ? {}
  : {
      /** Runs after this call succeeds, with its output as input; at least once, even when the caller is gone. */
      then?: FollowUp<M, O>;
      /** Runs after this call finally fails (no retry left), with a FailedCall as input. */
      catch?: FollowUp<M, FailedCall<I>>;
    };

/**
 * A task as the caller sees it: call it for a promise of its typed output, or fan out over many
 * inputs (docs/WORKFLOWS.md). M: the contract's tasks (follow-ups are typed against it).
 */
export interface TaskMethod<I, O, P = never, M = {}> {
  (...args: CallArgs<I, ProgressCallOptions<P> & FollowUpOptions<M, I, O>>): Promise<O>;
  /** One call per input (at most `concurrency` at a time); the outputs in input order. The first failure rejects and cancels the rest. */
  map(inputs: readonly I[], options?: MapOptions & ProgressOptions<P> & FollowUpOptions<M, I, O>): Promise<O[]>;
  /** One call per input; every outcome, in input order. */
  mapSettled(inputs: readonly I[], options?: MapOptions & FollowUpOptions<M, I, O>): Promise<Array<Settled<O>>>;
  /** A detached call: resolves once Redis has it; it runs even if this process exits. */
  send(...args: CallArgs<I, SendOptions & FollowUpOptions<M, I, O>>): Promise<CallHandle<O>>;
  /** The outcome of a detached call of this task, by id, from any process. */
  result(id: string, options?: WaitOptions): Promise<O>;
  /** Where a detached call of this task is. */
  status(id: string): Promise<RunStatus>;
}

/**
 * A call made by a handler through `ctx.client`: a child of the call the handler runs
 * (docs/WORKFLOWS.md). Idempotency is taskwire's: the child runs once per `key`.
 */
export interface ChildCallOptions extends Omit<CallOptions, 'idempotencyKey' | 'idempotencyTtlMs'> {
  /**
   * The child's name among its parent's children, the same on every attempt of the parent.
   * Default: its position (0, 1, ... in the order the handler makes its calls; a fan-out takes
   * one position per input), which holds for a handler that makes its calls in the same order.
   */
  key?: string;
}

export type ChildMapOptions = Omit<ChildCallOptions, 'key'> & { concurrency?: number };
export type ChildSendOptions = Omit<SendOptions, 'idempotencyKey'> & { key?: string };

/** A task as a handler calls it through ctx.client: a crash-safe child call. */
export interface ChildTaskMethod<I, O, P = never, M = {}> {
  (...args: CallArgs<I, ChildCallOptions & ProgressOptions<P> & FollowUpOptions<M, I, O>>): Promise<O>;
  map(inputs: readonly I[], options?: ChildMapOptions & FollowUpOptions<M, I, O>): Promise<O[]>;
  mapSettled(inputs: readonly I[], options?: ChildMapOptions & FollowUpOptions<M, I, O>): Promise<Array<Settled<O>>>;
  /** A detached child: it outlives this handler (not its deadline), and a retried parent finds it by its key. */
  send(...args: CallArgs<I, ChildSendOptions & FollowUpOptions<M, I, O>>): Promise<CallHandle<O>>;
  result(id: string, options?: WaitOptions): Promise<O>;
  status(id: string): Promise<RunStatus>;
}

/**
 * The child stubs of a client type: each TaskMethod becomes a ChildTaskMethod; `$` members go.
 * The client of no particular contract (the default TaskContext's) names no task: any task
 * context can be passed where that is expected.
 */
export type ChildClient<C> = string extends keyof C
  ? { readonly [name: string]: unknown }
  : {
      readonly [K in keyof C as K extends `$${string}` ? never : K extends string ? K : never]: C[K] extends TaskMethod<infer I, infer O, infer P, infer M>
        ? ChildTaskMethod<I, O, P, M>
        : ChildClient<C[K]>;
    };

/**
 * A generated route table that names its client type (codegen emits `routes: RoutesOf<XClient>`),
 * so `ctx.clientOf(routes)` is typed without importing the worker's code.
 */
export type RoutesOf<C> = RouteTable & { readonly __client?: C };

/** A task of a contract as the caller sees it; M: the contract's tasks, for follow-ups. */
export type TaskCaller<T extends AnyTask, M = {}> = TaskMethod<TaskInput<T>, TaskOutput<T>, TaskProgress<T>, M>;

/** The TaskMap of a contract ({} for the generic RouterShape: no paths to follow up into). */
export type TaskMapOf<R extends RouterShape> = string extends keyof R
  ? {}
  : { [P in TaskPaths<R>]: { input: TaskInput<TaskAt<R, P>>; output: TaskOutput<TaskAt<R, P>> } };

/** `onProgress`, for tasks that declare progress (P is never for the others: no such option). */
export type ProgressOptions<P> = [P] extends [never]
  ? {}
  : {
      /** The handler's progress reports (ctx.progress), latest first in a burst; best effort: the result is what counts. */
      onProgress?: (value: P) => void;
    };
export type ProgressCallOptions<P> = CallOptions & ProgressOptions<P>;

/** Client methods reserved under `$` so they never collide with task names. */
export interface ClientHandle {
  /** Unique id of this client; names its inbox and reply channel. */
  readonly $id: string;
  /**
   * Rejects calls still in flight with CLOSED and closes the client's connections. Idempotent.
   * An open client keeps its process alive (its connections to Redis): close it when done.
   */
  $close(): Promise<void>;
  /** `await using client = createClient(...)`: $close() when the scope ends. */
  [Symbol.asyncDispose](): Promise<void>;
  /** Number of calls waiting for a result. */
  readonly $pending: number;
  /** The outcome of a detached call of any of this client's tasks, by id (untyped). */
  $result(id: string, options?: WaitOptions): Promise<unknown>;
  /** Where a detached call of any of this client's tasks is. */
  $status(id: string): Promise<RunStatus>;
  /**
   * This client's tasks against the contract versions live workers serve now, with the rules
   * `taskwire breaking` applies: safe, or breaking with how calls would fail (docs/CONTRACTS.md).
   */
  $check(): Promise<LiveCheck>;
}

/** M: the tasks of the whole contract (a nested router's tasks follow up into any of them). */
export type ClientOf<R extends RouterShape, M = TaskMapOf<R>> = {
  readonly [K in Extract<keyof R, string>]: R[K] extends AnyTask
    ? TaskCaller<R[K], M>
    : R[K] extends RouterShape
      ? ClientOf<R[K], M>
      : never;
};

/** `$events`, typed by the contract's tasks (TaskMap). */
export interface EventsHandle<M> {
  /**
   * Each completion and final failure of task `path` while subscribed (docs/WORKFLOWS.md,
   * *Events*): `for await (const e of client.$events('images.resize'))`. For observers: best
   * effort, nothing is replayed, and a result someone awaits never depends on it. Workers
   * publish a task's events only while someone watches it. UNKNOWN_TASK for a path the
   * contract does not have.
   */
  $events<P extends Extract<keyof M, string>>(path: P, options?: EventsOptions): TaskEvents<M[P] extends { output: infer O } ? O : unknown>;
}

export type Client<R extends RouterShape> = ClientOf<R> & ClientHandle & EventsHandle<TaskMapOf<R>>;
