import type { TaskAt, TaskInput, TaskPaths } from '../contract/infer.js';
import type { RouterShape } from '../contract/router.js';
import type { AnyTask } from '../contract/task.js';
import type { Logger } from '../logger.js';
import type { RedisSource } from '../transport/connection.js';
import type { CatchUp } from '../wire/schedule-timing.js';
import type { Serializer } from '../wire/serializer.js';

export type { CatchUp } from '../wire/schedule-timing.js';

/** What a caller passes as the input of the task at path P. */
export type InputAt<R extends RouterShape, P extends string> = TaskAt<R, P> extends infer T extends AnyTask ? TaskInput<T> : never;

/**
 * When a schedule fires: a cron expression (5 fields, or 6 with seconds first) in a time zone
 * (IANA name; default UTC, never the machine's zone), or a fixed interval in ms.
 */
export type ScheduleTiming = { cron: string; tz?: string; everyMs?: never } | { everyMs: number; cron?: never; tz?: never };

/** A schedule: its id (1-100 characters of A-Z a-z 0-9 _ . : @ # -), the input of every call it fires, and its timing. */
export type ScheduleSpec<I> = { id: string; input: I } & ScheduleTiming;

/** How the calls a schedule fires are made; fixed when the schedule is upserted. */
export interface ScheduleOptions {
  /** Each call's deadline, from when it is fired. Default: the task's timeoutMs, else 30 s. */
  timeoutMs?: number;
  /** Default: the task's priority. */
  priority?: number;
  /** A fair group for its calls (not with a priority). */
  group?: string;
  /** Headers of every call it fires (the same for each; a tick never inherits another's). */
  headers?: Record<string, string>;
  /**
   * Ticks that passed while no worker ran: `one` (default) fires one call for the most recent
   * and skips the older ones; `none` skips them all. See docs/SCHEDULING.md, *Schedules*.
   */
  catchUp?: CatchUp;
}

/** A stored schedule, as get() and list() read it. */
export interface Schedule<P extends string = string, I = unknown> {
  id: string;
  task: P;
  /** The task's queue, where the schedule is stored and its calls go. */
  queue: string;
  input: I;
  cron?: string;
  tz?: string;
  everyMs?: number;
  catchUp: CatchUp;
  timeoutMs: number;
  priority?: number;
  group?: string;
  headers?: Record<string, string>;
  /** When it fires next (a due tick fires within milliseconds while a worker serves the queue). */
  nextRunAt: Date | undefined;
  createdAt: Date;
  updatedAt: Date;
}

/** Any schedule of the contract R: `task` tells which input it has. */
export type ScheduleOf<R extends RouterShape> = { [P in TaskPaths<R>]: Schedule<P, InputAt<R, P>> }[TaskPaths<R>];

export interface SchedulesOptions {
  redis: RedisSource;
  /** Key prefix; the workers' (default "tw"). */
  prefix?: string;
  /** How inputs are serialized; the workers' (default superjson). */
  serializer?: Serializer;
  /** Largest call a schedule may fire, in bytes (default 4 MiB, as clients and workers). */
  maxPayloadBytes?: number;
  /** Where a Redis that cannot be reached is reported (default console). */
  logger?: Logger;
  /**
   * Tell the workers of a new or changed schedule with sharded pub/sub (SPUBLISH on the queue's
   * shard) instead of PUBLISH, which a Redis Cluster copies to every node (default false; workers
   * listen to both; docs/SCALING.md).
   */
  shardedPubSub?: boolean;
}

/**
 * Recurring calls of a contract's tasks, stored in Redis with each task's queue and fired by the
 * workers of that queue (any number; each tick fires one call). Every method fails with a
 * TaskwireError: VALIDATION for a bad schedule (nothing is written then), CONNECTION when Redis
 * cannot be reached, CLOSED after close().
 */
export interface Schedules<R extends RouterShape> {
  /**
   * Creates the schedule, or replaces the one with this id (its record and next tick together).
   * An update that keeps the timing keeps the next tick, so calling this at every start of every
   * process is safe. An id used by a task of another queue is refused: remove that one first.
   */
  upsert<P extends TaskPaths<R>>(task: P, spec: ScheduleSpec<InputAt<R, P>>, options?: ScheduleOptions): Promise<Schedule<P, InputAt<R, P>>>;
  get(id: string): Promise<ScheduleOf<R> | undefined>;
  /** Every schedule of the contract's queues, by id. */
  list(): Promise<Array<ScheduleOf<R>>>;
  /** True if there was one. Calls it already fired stay queued. */
  remove(id: string): Promise<boolean>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
