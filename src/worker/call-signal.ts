import { ERROR_CODES, TaskwireError } from '../errors.js';

/**
 * ctx.signal of one running call, made only when the handler (or error mapping) reads it. Most
 * handlers never do, and an AbortController plus a deadline timer per call showed as ~5% of a
 * busy worker's CPU. An abort that arrives before anyone asked is kept and applied on creation,
 * and a signal first read after the deadline is born aborted, so what a reader sees is the same
 * as with an eager controller.
 */
export class CallSignal {
  readonly #task: string;
  readonly #deadline: number;
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reason: unknown;
  #aborted = false;

  constructor(task: string, deadline: number) {
    this.#task = task;
    this.#deadline = deadline;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      const controller = new AbortController();
      this.#controller = controller;
      const left = this.#deadline - Date.now();
      if (this.#aborted) controller.abort(this.#reason);
      else if (left <= 0) controller.abort(this.#timeout());
      else this.#timer = setTimeout(() => controller.abort(this.#timeout()), left);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#controller) {
      this.#controller.abort(reason);
    } else if (!this.#aborted) {
      this.#aborted = true;
      this.#reason = reason;
    }
  }

  /**
   * What ended the call before its handler did, read without making the signal: a cancel, a lost
   * lease or a close (abort), or the deadline once it has passed. Undefined while none has.
   */
  get cutShort(): unknown {
    if (this.#controller?.signal.aborted === true) return this.#controller.signal.reason;
    if (this.#aborted) return this.#reason;
    return Date.now() > this.#deadline ? this.#timeout() : undefined;
  }

  /** Stops the deadline timer once the handler has returned. */
  dispose(): void {
    clearTimeout(this.#timer);
  }

  #timeout(): TaskwireError<string, unknown> {
    return new TaskwireError(ERROR_CODES.TIMEOUT, `${this.#task} passed its deadline`);
  }
}
