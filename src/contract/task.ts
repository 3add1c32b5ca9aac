import type { z } from 'zod';
import { checkTaskOptions } from './check-task-options.js';

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

export interface TaskOptions<I extends z.ZodType, O extends z.ZodType, E extends ErrorMap> {
  input: I;
  output: O;
  errors?: E;
  /**
   * Queue the task's calls travel on; tasks without one share the default queue. 1-128 characters
   * of A-Z a-z 0-9 _ . : - # (no braces: every key of a queue shares the `{queue}` hash tag).
   */
  queue?: string;
  /** Default deadline for calls of this task; a call may pass its own. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  description?: string;
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
> {
  readonly '~taskwire': 'task';
  readonly input: I;
  readonly output: O;
  readonly errors: E;
  readonly queue: string | undefined;
  readonly timeoutMs: number | undefined;
  readonly retry: RetryPolicy | undefined;
  readonly description: string | undefined;
}

// eslint-style escape is avoided: TaskDef's defaults already cover "any task".
export type AnyTask = TaskDef<z.ZodType, z.ZodType, ErrorMap>;

// `const` keeps literal error codes ('NOT_FOUND') instead of widening them to string.
export function task<I extends z.ZodType, O extends z.ZodType, const E extends ErrorMap = {}>(
  options: TaskOptions<I, O, E>,
): TaskDef<I, O, E> {
  // Checked here, not in router(): task() runs first and always, and its stack points at the
  // task's own line; router() could add the dotted path but only for tasks that reach one.
  checkTaskOptions(options);
  return Object.freeze({
    [BRAND]: 'task' as const,
    input: options.input,
    output: options.output,
    errors: (options.errors ?? {}) as E,
    queue: options.queue,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    description: options.description,
  });
}

export function isTask(value: unknown): value is AnyTask {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[BRAND] === 'task';
}
