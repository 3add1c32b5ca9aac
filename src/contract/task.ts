import type { z } from 'zod';
import { checkTaskOptions } from './check-task-options.js';
import type { NotZod4 } from './zod4.js';
import type { RateLimit } from './flow-control.js';

/** Declared errors of a task: code → schema of the error's `data`. */
export type ErrorMap = Record<string, z.ZodType>;

/** Retry policy; the worker applies it (attempt counting, backoff with jitter). */
export interface RetryPolicy {
  /** Total attempts including the first. 1 = no retry. */
  attempts: number;
  /** First backoff delay; doubled each attempt, capped by maxDelayMs, with full jitter. */
  backoffMs?: number;
  maxDelayMs?: number;
  /** Declared error codes that are still worth retrying (declared errors are final by default). */
  retryOn?: readonly string[];
}

/** The options of a task besides its schemas. */
interface TaskSettings {
  /**
   * Queue the task's calls travel on; tasks without one share the default queue. 1-128 characters
   * of A-Z a-z 0-9 _ . : - # (no braces: every key of a queue shares the `{queue}` hash tag).
   */
  queue?: string;
  /** Default deadline for calls of this task; a call may pass its own. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  description?: string;
  /** Default priority of its calls: 1 (most urgent) to MAX_PRIORITY; a call may pass its own. */
  priority?: number;
  /** At most `max` calls start in any window of `perMs`, over all workers (enforced in Redis). */
  rateLimit?: RateLimit;
  /** At most this many calls run at once over all workers (a slot is held by the call's lease). */
  concurrency?: number;
  /** How long the outcome of a detached call (`send()`) is kept for `result()`; a call may pass its own. Default 24 h. */
  resultTtlMs?: number;
  /**
   * Spread the queue's calls over this many sub-queues `<queue>#0` … (1-1024; 1, the default: one
   * queue), each its own Cluster slot (docs/PARTITIONS.md). Every task of a queue that says it must
   * say the same; the queue's other tasks follow it.
   */
  partitions?: number;
}

export interface TaskOptions<I extends z.ZodType, O extends z.ZodType, E extends ErrorMap, P extends z.ZodType | undefined = undefined> extends TaskSettings {
  input: I;
  output: O;
  errors?: E;
  /** What its handler reports with ctx.progress(value) (validated), for the caller's onProgress and status. */
  progress?: P;
}

/**
 * task()'s parameter: TaskOptions whose schema fields also admit the message a non-zod-4 schema
 * should see, so the compiler's error says "must be a zod 4 schema" (see NotZod4). Kept apart
 * from TaskOptions so code that reads `options.input` still gets the schema type alone.
 */
interface CheckedTaskOptions<I extends z.ZodType, O extends z.ZodType, E extends ErrorMap, P extends z.ZodType | undefined> extends TaskSettings {
  input: I | NotZod4<'input'>;
  output: O | NotZod4<'output'>;
  errors?: { [C in keyof E]: E[C] | NotZod4<'each declared error'> };
  progress?: P | NotZod4<'progress'>;
}

/**
 * The brand is a plain string key, not a unique symbol: a unique symbol's type differs between
 * two copies of the package (or its source and its built .d.ts), which would make a contract
 * built with one copy unusable with the other.
 */
const BRAND = '~taskwire';

/** A task signature: pure data (schemas and options), no handler. */
export interface TaskDef<
  I extends z.ZodType = z.ZodType,
  O extends z.ZodType = z.ZodType,
  E extends ErrorMap = ErrorMap,
  P extends z.ZodType | undefined = z.ZodType | undefined,
> {
  readonly '~taskwire': 'task';
  readonly input: I;
  readonly output: O;
  readonly errors: E;
  /** The schema of its progress reports; undefined: it reports none. */
  readonly progress: P;
  readonly queue: string | undefined;
  readonly timeoutMs: number | undefined;
  readonly retry: RetryPolicy | undefined;
  readonly description: string | undefined;
  readonly priority: number | undefined;
  readonly rateLimit: RateLimit | undefined;
  readonly concurrency: number | undefined;
  readonly resultTtlMs: number | undefined;
  readonly partitions: number | undefined;
}

// eslint-style escape is avoided: TaskDef's defaults already cover "any task".
export type AnyTask = TaskDef<z.ZodType, z.ZodType, ErrorMap, z.ZodType | undefined>;

// `const` keeps literal error codes ('NOT_FOUND') instead of widening them to string.
export function task<I extends z.ZodType, O extends z.ZodType, const E extends ErrorMap = {}, P extends z.ZodType | undefined = undefined>(
  options: CheckedTaskOptions<I, O, E, P>,
): TaskDef<I, O, E, P> {
  // Checked here, not in router(): task() runs first and always, and its stack points at the
  // task's own line; router() could add the dotted path but only for tasks that reach one.
  checkTaskOptions(options);
  // The check above has ruled out the NotZod4 strings the parameter type admits.
  const o = options as TaskOptions<I, O, E, P>;
  return Object.freeze({
    [BRAND]: 'task' as const,
    input: o.input,
    output: o.output,
    errors: (o.errors ?? {}) as E,
    progress: o.progress as P,
    queue: o.queue,
    timeoutMs: o.timeoutMs,
    retry: o.retry,
    description: o.description,
    priority: o.priority,
    rateLimit: o.rateLimit === undefined ? undefined : { max: o.rateLimit.max, perMs: o.rateLimit.perMs },
    concurrency: o.concurrency,
    resultTtlMs: o.resultTtlMs,
    partitions: o.partitions,
  });
}

export function isTask(value: unknown): value is AnyTask {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[BRAND] === 'task';
}
