import { toTaskwireError, type TaskwireError } from '../errors.js';
import type { Logger } from '../logger.js';

/** A call as a client interceptor sees it. */
export interface OutgoingCall {
  readonly id: string;
  /** Dotted task path. */
  readonly task: string;
  readonly queue: string;
  /** The input as the caller passed it (after validation), before serialization. */
  readonly input: unknown;
  /** Absolute deadline, ms since epoch. */
  readonly deadline: number;
  /** Headers the call carries to the worker (`ctx.headers`); `prepare` may add to them. */
  readonly headers: Record<string, string>;
}

export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: TaskwireError<string, unknown> };

/**
 * A client-side hook around a call: tracing, metrics, signing and logging plug in here instead
 * of into the call path. Synchronous, so a call stays synchronous up to its enqueue.
 * - `prepare` runs once the input is valid, before the envelope is written: it may add headers
 *   (trace context, a signature); throwing refuses the call with that error.
 * - `sent` runs when Redis has the call.
 * - `settled` runs exactly once for every call that was prepared, with its outcome.
 * Throws from `sent` and `settled` are logged, never passed to the caller.
 */
export interface ClientInterceptor {
  /**
   * Whether it wants calls now (default: always). While every interceptor of a client answers
   * false, its calls take the plain path: tracing registered with no tracer provider costs nothing.
   */
  active?(): boolean;
  prepare?(call: OutgoingCall): void;
  sent?(call: OutgoingCall): void;
  settled?(call: OutgoingCall, outcome: CallOutcome): void;
}

/**
 * The registered interceptors, by phase. The client holds `undefined` when there are none, so
 * a call without interceptors pays one check.
 */
export class ClientHooks {
  readonly #prepare: Array<(call: OutgoingCall) => void> = [];
  readonly #sent: Array<(call: OutgoingCall) => void> = [];
  readonly #settled: Array<(call: OutgoingCall, outcome: CallOutcome) => void> = [];
  readonly #logger: Logger;
  /** Some interceptor has no `active`: the hooks always run. */
  readonly #always: boolean;
  readonly #actives: Array<() => boolean> = [];

  static from(interceptors: readonly ClientInterceptor[] | undefined, logger: Logger): ClientHooks | undefined {
    return interceptors && interceptors.length > 0 ? new ClientHooks(interceptors, logger) : undefined;
  }

  private constructor(interceptors: readonly ClientInterceptor[], logger: Logger) {
    this.#logger = logger;
    this.#always = interceptors.some((i) => !i.active);
    for (const i of interceptors) if (i.active) this.#actives.push(i.active.bind(i));
    for (const i of interceptors) {
      if (i.prepare) this.#prepare.push(i.prepare.bind(i));
      if (i.sent) this.#sent.push(i.sent.bind(i));
    }
    // Settled unwinds in reverse, as middleware returns: the first registered sees the call first and last.
    for (const i of [...interceptors].reverse()) if (i.settled) this.#settled.push(i.settled.bind(i));
  }

  /** Whether this call goes through the hooks (any interceptor active). */
  live(): boolean {
    return this.#always || this.#actives.some((f) => f());
  }

  /** Runs every `prepare`; a throw propagates (the call is refused with it). */
  prepare(call: OutgoingCall): void {
    for (const f of this.#prepare) f(call);
  }

  sent(call: OutgoingCall): void {
    for (const f of this.#sent) this.#guard('sent', call, () => f(call));
  }

  settled(call: OutgoingCall, outcome: CallOutcome): void {
    for (const f of this.#settled) this.#guard('settled', call, () => f(call, outcome));
  }

  /**
   * The call's resolve and reject, each running `settled` first. Only made for calls of a client
   * with interceptors.
   */
  wrap(call: OutgoingCall, resolve: (value: unknown) => void, reject: (err: TaskwireError<string, unknown>) => void) {
    return {
      resolve: (value: unknown) => {
        this.settled(call, { ok: true, value });
        resolve(value);
      },
      reject: (error: TaskwireError<string, unknown>) => {
        this.settled(call, { ok: false, error });
        reject(error);
      },
    };
  }

  #guard(phase: string, call: OutgoingCall, f: () => void): void {
    try {
      f();
    } catch (err) {
      this.#logger.warn(`taskwire: a client interceptor's ${phase} threw; the call goes on`, { task: call.task, callId: call.id, error: toTaskwireError(err).message });
    }
  }
}
