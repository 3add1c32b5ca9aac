import { ERROR_CODES, TaskwireError, toTaskwireError } from '../errors.js';
import type { CallOptions, MapOptions, Settled } from './types.js';

/** Makes the call for input `index`. */
type Call = (input: unknown, options: CallOptions, index: number) => Promise<unknown>;

/**
 * Runs one call per input, at most `concurrency` at a time (default: all at once), and answers
 * in input order. `settle`: every outcome, as Settled entries; otherwise the first failure
 * rejects and cancels the calls still running (their handlers' ctx.signal aborts), and no more
 * are started.
 */
export async function fanOut(path: string, call: Call, inputs: readonly unknown[], options: MapOptions, settle: boolean): Promise<unknown[]> {
  if (!Array.isArray(inputs)) throw invalid(path, `map takes an array of inputs, got ${typeof inputs}`);
  const { concurrency = Number.POSITIVE_INFINITY, ...callOptions } = options;
  if (!(concurrency === Number.POSITIVE_INFINITY || (Number.isInteger(concurrency) && concurrency >= 1))) {
    throw invalid(path, `concurrency must be an integer >= 1, got ${String(concurrency)}`);
  }
  if (inputs.length === 0) return [];
  // One controller for the fan-out: the caller's signal aborts it, a first failure too (map).
  const stop = new AbortController();
  const outer = callOptions.signal;
  const onOuterAbort = () => stop.abort(outer?.reason);
  if (outer?.aborted) stop.abort(outer.reason);
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  const results: unknown[] = new Array(inputs.length);
  let next = 0;
  let failure: TaskwireError<string, unknown> | undefined;
  const lane = async (): Promise<void> => {
    while (next < inputs.length && failure === undefined) {
      const i = next++;
      try {
        const value = await call(inputs[i], { ...callOptions, signal: stop.signal }, i);
        results[i] = settle ? ({ ok: true, value } satisfies Settled<unknown>) : value;
      } catch (err) {
        const error = toTaskwireError(err);
        if (settle) {
          results[i] = { ok: false, error } satisfies Settled<unknown>;
        } else if (failure === undefined) {
          failure = error;
          // The rest are of no use now: withdrawn if queued, their handlers told if running.
          stop.abort(error);
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, lane));
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
  }
  if (failure) throw failure;
  return results;
}

function invalid(path: string, reason: string): TaskwireError<string, unknown> {
  return new TaskwireError(ERROR_CODES.VALIDATION, `${path}: ${reason}`, { data: { task: path } });
}
