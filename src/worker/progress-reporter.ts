import type { z } from 'zod';
import { ERROR_CODES, TaskwireError } from '../errors.js';
import { issuesText, parseSync } from '../contract/parse.js';
import type { Serializer } from '../wire/serializer.js';

/**
 * ctx.progress of one call of a task that declares progress: validates each report against the
 * task's schema (a bad one throws VALIDATION into the handler) and sends at most one per
 * `intervalMs`: the first at once, then the latest of each interval (a handler reporting in a
 * tight loop costs Redis a write per interval, not per report). The last one pending is sent
 * when the handler ends, before its result.
 */
export class ProgressReporter {
  readonly #task: string;
  readonly #schema: z.ZodType;
  readonly #serializer: Serializer;
  readonly #intervalMs: number;
  readonly #send: (serialized: unknown) => void;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #pending: { value: unknown } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(task: string, schema: z.ZodType, serializer: Serializer, intervalMs: number, send: (serialized: unknown) => void) {
    this.#task = task;
    this.#schema = schema;
    this.#serializer = serializer;
    this.#intervalMs = intervalMs;
    this.#send = send;
  }

  report(value: unknown): void {
    const parsed = parseSync(this.#schema, value);
    if (!parsed) throw new TaskwireError(ERROR_CODES.VALIDATION, `progress of ${this.#task}: its schema must parse synchronously`);
    if (!parsed.success) {
      throw new TaskwireError(ERROR_CODES.VALIDATION, `invalid progress for ${this.#task}: ${issuesText(parsed.error)}`, {
        data: { task: this.#task, issues: parsed.error.issues },
      });
    }
    if (this.#closed) return;
    this.#pending = { value: parsed.data };
    const wait = this.#lastSentAt + this.#intervalMs - Date.now();
    if (wait <= 0) return this.#flush();
    this.#timer ??= setTimeout(() => this.#flush(), wait);
  }

  /** The handler ended: the last report pending goes now, and nothing after it. */
  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    this.#lastSentAt = Date.now();
    let serialized: unknown;
    try {
      serialized = this.#serializer.serialize(pending.value);
    } catch {
      return; // A value its serializer cannot hold: the report is lost, not the call.
    }
    this.#send(serialized);
  }
}
