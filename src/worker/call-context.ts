import { ERROR_CODES, TaskError, TaskwireError } from '../errors.js';
import type { CallEnvelope } from '../wire/envelope.js';
import { CallSignal } from './call-signal.js';
import type { RouterShape } from '../contract/router.js';
import type { RouteTable } from '../contract/route.js';
import { ChildScope, type ChildClients } from './child-calls.js';
import type { ProgressReporter } from './progress-reporter.js';
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
  /** Replaced only by middleware through next(input, { headers }) (middleware.ts). */
  headers: Readonly<Record<string, string>>;
  /** Aborted on cancellation, lease loss and close; see call-signal.ts. Private: not a handler's to abort. */
  readonly #signal: CallSignal;
  readonly #clients: ChildClients | undefined;
  /** Made on first use of ctx.client: a call without children pays nothing for it. */
  #children: ChildScope | undefined;

  readonly #progress: ProgressReporter | undefined;

  /** `progress`: for tasks that declare it (call-handler.ts). */
  constructor(env: CallEnvelope, deliveries: number, clients?: ChildClients, progress?: ProgressReporter) {
    this.#clients = clients;
    this.#progress = progress;
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

  // `never`: TaskContext types them by the contract; the trees are built from its routes.
  get client(): never {
    return this.#scope().tree(this.#clientsOrThrow().own) as never;
  }

  clientOf(source: RouterShape | RouteTable): never {
    return this.#scope().tree(source) as never;
  }

  #clientsOrThrow(): ChildClients {
    if (!this.#clients) throw new Error('ctx.client is only available in a worker');
    return this.#clients;
  }

  #scope(): ChildScope {
    this.#children ??= new ChildScope(this.#clientsOrThrow(), this);
    return this.#children;
  }

  /**
   * For middleware (`next(input, { headers })`): the headers the handler and its child calls see
   * from now on, e.g. a trace context naming the worker's span instead of the caller's.
   */
  replaceHeaders(headers: Readonly<Record<string, string>>): void {
    this.headers = headers;
  }

  /** For the worker (not part of TaskContext): cancellation, lease loss, close. */
  abortWith(reason: unknown): void {
    this.#signal.abort(reason);
  }

  /** For the worker: what ended the call before its handler did, if anything (CallSignal.cutShort). */
  get cutShort(): unknown {
    return this.#signal.cutShort;
  }

  /** For the worker: the handler returned; stop the deadline timer, send the last progress report. */
  dispose(): void {
    this.#signal.dispose();
    this.#progress?.close();
  }

  progress(value: unknown): void {
    if (!this.#progress) throw new TaskwireError(ERROR_CODES.VALIDATION, `${this.task} declares no progress schema: ctx.progress() is not available`);
    this.#progress.report(value);
  }

  error(code: string, data: unknown, options?: { message?: string; retryable?: boolean }): never {
    // `never` satisfies TaskContext's generic signature; what is returned is a TaskError.
    return new TaskError(code, data as never, options?.message, options?.retryable === undefined ? {} : { retryable: options.retryable }) as never;
  }
}
