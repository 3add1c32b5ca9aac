import { ERROR_CODES, isTaskwireError, TaskError, TaskwireError } from '../errors.js';
import { inputRefusalCode } from '../contract/compatibility.js';
import { issuesText, parseSync, parseWith } from '../contract/parse.js';
import type { AnyTask, RetryPolicy } from '../contract/task.js';
import type { CallEnvelope } from '../wire/envelope.js';
import type { Serializer } from '../wire/serializer.js';
import type { Logger } from '../logger.js';
import type { TaskContext } from './types.js';

export interface TaskEntry {
  path: string;
  task: AnyTask;
  /** The task's handler, wrapped in the worker's middleware (middleware.ts). */
  handler: (input: unknown, ctx: TaskContext) => unknown;
  fingerprint: string;
}

export type Outcome =
  | { ok: true; output: unknown }
  | {
      ok: false;
      error: TaskwireError<string, unknown>;
      retryable: boolean;
      unreadable?: boolean;
      /**
       * The worker took the call back (it is closing, or lost the lease): another worker runs it,
       * so this failure is nobody's final outcome (no catch follow-up, no event).
       */
      handedBack?: boolean;
    };

function fail(code: string, message: string, data?: unknown, retryable = false): Outcome {
  return { ok: false, error: new TaskwireError(code, message, { data }), retryable };
}

/** Validates the input; a mismatch from a caller with another contract version says so. */
export async function parseInput(entry: TaskEntry, env: CallEnvelope, serializer: Serializer): Promise<{ ok: true; input: unknown } | Outcome> {
  let raw: unknown;
  try {
    raw = serializer.deserialize(env.input);
  } catch (err) {
    // Garbage like an unreadable envelope: answered, and set aside on the dead-letter stream.
    const message = `input of ${entry.path} could not be decoded: ${(err as Error).message}`;
    return { ok: false, error: new TaskwireError(ERROR_CODES.PROTOCOL, message, { data: { task: entry.path } }), retryable: false, unreadable: true };
  }
  // parseSync first: no promise and no microtask per call unless the schema is async.
  const parsed = parseSync(entry.task.input, raw) ?? (await entry.task.input.safeParseAsync(raw));
  if (parsed.success) return { ok: true, input: parsed.data };
  const fields = issuesText(parsed.error);
  return inputRefusalCode(env.fp, entry.fingerprint) === ERROR_CODES.CONTRACT_MISMATCH
    ? fail(
        ERROR_CODES.CONTRACT_MISMATCH,
        `${entry.path}: the caller's contract differs from the worker's and its input no longer fits: ${fields}`,
        { task: entry.path, issues: parsed.error.issues, clientFingerprint: env.fp, workerFingerprint: entry.fingerprint },
      )
    : fail(ERROR_CODES.VALIDATION, `invalid input for ${entry.path}: ${fields}`, { task: entry.path, issues: parsed.error.issues });
}

/**
 * Runs a handler and maps whatever happens to one outcome. Declared errors are checked against
 * their schema, output against the output schema: a handler can never send the caller
 * something the contract does not allow.
 */
export async function runHandler(
  entry: TaskEntry,
  input: unknown,
  ctx: TaskContext,
  logger: Logger,
): Promise<Outcome> {
  let result: unknown;
  try {
    result = await entry.handler(input, ctx);
  } catch (err) {
    return mapThrown(entry, err, ctx, logger);
  }
  const parsed = parseSync(entry.task.output, result) ?? (await entry.task.output.safeParseAsync(result));
  if (parsed.success) return { ok: true, output: parsed.data };
  logger.error(`taskwire: ${entry.path} returned output that breaks its contract`, {
    callId: ctx.callId,
    issues: parsed.error.issues,
  });
  return fail(ERROR_CODES.INTERNAL, `${entry.path} produced an invalid result: ${issuesText(parsed.error)}`, { task: entry.path });
}

async function mapThrown(entry: TaskEntry, err: unknown, ctx: TaskContext, logger: Logger): Promise<Outcome> {
  if (isTaskwireError(err) && err.defined) {
    const schema = entry.task.errors[err.code];
    if (!schema) {
      logger.error(`taskwire: ${entry.path} threw undeclared error code ${err.code}`, { callId: ctx.callId });
      return fail(ERROR_CODES.INTERNAL, `${entry.path} failed with undeclared error ${err.code}`, { task: entry.path });
    }
    const data = await parseWith(schema, err.data);
    if (!data.success) {
      logger.error(`taskwire: ${entry.path} threw ${err.code} with data that breaks its schema`, { callId: ctx.callId });
      return fail(ERROR_CODES.INTERNAL, `${entry.path} failed with malformed ${err.code} data`, { task: entry.path });
    }
    const error = new TaskError(err.code, data.data, err.message, err.retryable === undefined ? {} : { retryable: err.retryable });
    const retryOn = entry.task.retry?.retryOn ?? [];
    return { ok: false, error, retryable: err.retryable ?? retryOn.includes(err.code) };
  }
  if (isTaskwireError(err)) {
    // Built-in codes thrown by a handler (e.g. a nested call's TIMEOUT) pass through as they are.
    return { ok: false, error: err, retryable: err.retryable ?? err.code !== ERROR_CODES.VALIDATION };
  }
  if (ctx.signal.aborted) {
    const reason: unknown = ctx.signal.reason;
    if (isTaskwireError(reason)) return { ok: false, error: reason, retryable: false };
  }
  const message = err instanceof Error ? err.message : String(err);
  logger.warn(`taskwire: ${entry.path} failed`, { callId: ctx.callId, error: message });
  return { ok: false, error: new TaskwireError(ERROR_CODES.INTERNAL, message, { data: { task: entry.path } }), retryable: true };
}

/**
 * The error a caller gets when its call failed for good: an INTERNAL one also says how many runs
 * the call had (`data.attempts`, BullMQ's attemptsMade), the last included, so "failed after 3
 * attempts" needs no dead-letter lookup. Declared errors keep the data their contract gives them.
 */
export function withRuns<E extends TaskwireError<string, unknown>>(err: E, runs: number): E | TaskwireError<string, unknown> {
  if (err.code !== ERROR_CODES.INTERNAL || err.defined) return err;
  const data: unknown = err.data;
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) return err;
  const options = err.retryable === undefined ? {} : { retryable: err.retryable };
  return new TaskwireError(err.code, err.message, { data: { attempts: runs, ...data }, cause: err, ...options });
}

/** Exponential backoff with full jitter (AWS architecture blog's "full jitter"). */
export function retryDelay(policy: Pick<RetryPolicy, 'backoffMs' | 'maxDelayMs'>, attempt: number, random = Math.random): number {
  const base = policy.backoffMs ?? 100;
  const cap = policy.maxDelayMs ?? 30_000;
  return Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1)));
}
