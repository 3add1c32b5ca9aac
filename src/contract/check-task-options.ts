import { contractError } from './contract-error.js';
import { concurrencyProblem, priorityProblem, rateLimitProblem } from './flow-control.js';
import { queueNameProblem } from './names.js';
import { partitionedNameProblem, partitionsProblem } from './partitions.js';
import { assertZod4Schema } from './zod4.js';

/**
 * The runtime checks of task(). A contract is often built from plain JavaScript, casts or a
 * config file, so the types alone do not keep bad options out; these checks run once per task at
 * module load, where a mistake is cheap to report and its stack points at the task() call.
 * Each message says what is valid. Paths are unknown here (the router names the task later),
 * so messages name the option instead.
 */

/** setTimeout waits at most 2^31-1 ms; a longer timer fires after 1 ms, so every call would time out at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const WHERE = 'task()';

export function checkTaskOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw contractError(
      `${WHERE}: expects an options object { input, output, errors?, queue?, timeoutMs?, retry?, description?, priority?, rateLimit?, concurrency?, resultTtlMs?, partitions?, progress? }, got ${describe(options)}`,
    );
  }
  const o = options as Record<string, unknown>;
  assertZod4Schema(o['input'], 'input', WHERE);
  assertZod4Schema(o['output'], 'output', WHERE);
  const codes = checkErrors(o['errors']);
  if (o['progress'] !== undefined) assertZod4Schema(o['progress'], 'progress', WHERE);
  checkQueue(o['queue']);
  checkTimeout(o['timeoutMs']);
  checkRetry(o['retry'], codes);
  if (o['description'] !== undefined && typeof o['description'] !== 'string') {
    throw contractError(`${WHERE}: description must be a string, got ${describe(o['description'])}`);
  }
  const problem =
    (o['priority'] === undefined ? undefined : priorityProblem(o['priority'])) ??
    (o['rateLimit'] === undefined ? undefined : rateLimitProblem(o['rateLimit'])) ??
    (o['concurrency'] === undefined ? undefined : concurrencyProblem(o['concurrency'])) ??
    (o['resultTtlMs'] === undefined || (Number.isInteger(o['resultTtlMs']) && (o['resultTtlMs'] as number) > 0)
      ? undefined
      : `resultTtlMs must be a positive integer number of milliseconds, got ${describe(o['resultTtlMs'])}`) ??
    (o['partitions'] === undefined ? undefined : (partitionsProblem(o['partitions']) ?? (typeof o['queue'] === 'string' ? partitionedNameProblem(o['queue'], o['partitions'] as number) : undefined)));
  if (problem !== undefined) throw contractError(`${WHERE}: ${problem}`);
  if ((o['partitions'] as number | undefined) !== undefined && (o['partitions'] as number) > 1 && (o['rateLimit'] !== undefined || o['concurrency'] !== undefined)) {
    // Limits are counted in one slot; over K partitions they would allow K times as much.
    throw contractError(`${WHERE}: a task with partitions cannot have a rateLimit or concurrency (each partition would enforce its own); drop one of them`);
  }
}

/** Checks each declared error's schema; returns the declared codes. */
function checkErrors(errors: unknown): string[] {
  if (errors === undefined) return [];
  if (typeof errors !== 'object' || errors === null || Array.isArray(errors)) {
    throw contractError(`${WHERE}: errors must be an object mapping each error code to a zod 4 schema of its data, got ${describe(errors)}`);
  }
  for (const [code, schema] of Object.entries(errors)) assertZod4Schema(schema, `error ${code}`, WHERE);
  return Object.keys(errors);
}

function checkQueue(queue: unknown): void {
  if (queue === undefined) return;
  if (typeof queue !== 'string') throw contractError(`${WHERE}: queue must be a string, got ${describe(queue)}`);
  const problem = queueNameProblem(queue);
  if (problem !== undefined) throw contractError(`${WHERE}: queue ${JSON.stringify(queue)} is not a valid queue name: ${problem}`);
}

function checkTimeout(timeoutMs: unknown): void {
  if (timeoutMs === undefined) return;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
    throw contractError(`${WHERE}: timeoutMs must be a positive number of milliseconds, got ${describe(timeoutMs)}`);
  }
  if (!(timeoutMs <= MAX_TIMER_MS)) {
    throw contractError(
      `${WHERE}: timeoutMs must be at most ${MAX_TIMER_MS} (about 24 days, the longest a Node timer waits), got ${String(timeoutMs)}`,
    );
  }
}

function checkRetry(retry: unknown, codes: readonly string[]): void {
  if (retry === undefined) return;
  if (typeof retry !== 'object' || retry === null) {
    throw contractError(`${WHERE}: retry must be an object { attempts, backoffMs?, maxDelayMs?, retryOn? }, got ${describe(retry)}`);
  }
  const r = retry as Record<string, unknown>;
  if (!Number.isInteger(r['attempts']) || (r['attempts'] as number) < 1) {
    throw contractError(`${WHERE}: retry.attempts must be an integer >= 1 (1 = no retry), got ${describe(r['attempts'])}`);
  }
  for (const field of ['backoffMs', 'maxDelayMs'] as const) {
    const value = r[field];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
      throw contractError(`${WHERE}: retry.${field} must be a finite number >= 0, got ${describe(value)}`);
    }
  }
  const retryOn = r['retryOn'];
  if (retryOn === undefined) return;
  if (!Array.isArray(retryOn)) throw contractError(`${WHERE}: retry.retryOn must be an array of declared error codes, got ${describe(retryOn)}`);
  for (const code of retryOn as unknown[]) {
    // The worker consults retryOn only for errors the task declares: any other code there would
    // be silently ignored, which is never what its author meant.
    if (typeof code !== 'string' || !codes.includes(code)) {
      throw contractError(
        `${WHERE}: retry.retryOn names ${describe(code)}, which is not an error this task declares (declared: ${codes.length ? codes.join(', ') : 'none'}); retryOn applies only to declared errors`,
      );
    }
  }
}

/** A value as a message shows it: numbers and strings as written, other things by their kind. */
function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value;
}
