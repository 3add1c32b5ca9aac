import { TaskError } from '../errors.js';
import type { CallEnvelope } from '../wire/envelope.js';
import { CallSignal } from './call-signal.js';
import type { TaskContext } from './types.js';

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The `ctx` a handler gets. A class rather than an object literal with a getter: one object of
 * a fixed shape per call, with `signal` and `error` on the prototype.
 */
export class CallContext implements TaskContext {
  readonly callId: string;
  readonly task: string;
  readonly attempt: number;
  readonly deliveries: number;
  readonly deadline: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Aborted on cancellation, lease loss and close; see call-signal.ts. Private: not a handler's to abort. */
  readonly #signal: CallSignal;

  constructor(env: CallEnvelope, deliveries: number) {
    this.callId = env.id;
    this.task = env.task;
    this.attempt = env.attempt;
    this.deliveries = deliveries;
    this.deadline = env.deadline;
    this.headers = env.headers ?? NO_HEADERS;
    this.#signal = new CallSignal(env.task, env.deadline);
  }

  get signal(): AbortSignal {
    return this.#signal.signal;
  }

  /** For the worker (not part of TaskContext): cancellation, lease loss, close. */
  abortWith(reason: unknown): void {
    this.#signal.abort(reason);
  }

  /** For the worker: the handler returned; stop the deadline timer. */
  dispose(): void {
    this.#signal.dispose();
  }

  error(code: string, data: unknown, options?: { message?: string; retryable?: boolean }): never {
    // `never` satisfies TaskContext's generic signature; what is returned is a TaskError.
    return new TaskError(code, data as never, options?.message, options?.retryable === undefined ? {} : { retryable: options.retryable }) as never;
  }
}
