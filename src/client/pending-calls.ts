import type { TaskwireError } from '../errors.js';
import type { Route } from '../contract/route.js';
import type { ReplyMode } from '../wire/envelope.js';
import type { QueueKeys } from '../wire/keys.js';

/** One call in flight. Everything needed to settle it, withdraw it, or look for its reply. */
export interface PendingCall {
  readonly id: string;
  readonly route: Route;
  readonly keys: QueueKeys;
  readonly mode: ReplyMode;
  readonly raw: string;
  /** The input is at `keys.input(id)`, not in `raw` (see protocol.ts STORED_PAYLOAD_BYTES). */
  readonly stored: boolean;
  /** Its fair group, if any: where it waits (withdraw needs it). */
  readonly group: string | undefined;
  /** Its idempotency key (full), if it has one and is not detached: withdrawing it frees the key. */
  readonly idem?: string | undefined;
  /** The caller's onProgress, for calls of a task that reports progress. */
  readonly onProgress?: ((value: unknown) => void) | undefined;
  /** A follower of a detached call (client/detached.ts): nothing of its own to withdraw. */
  readonly follower?: boolean;
  readonly deadline: number;
  readonly timeoutMs: number;
  /** Redis acknowledged the enqueue; before that a timeout is reported as CONNECTION. */
  enqueued: boolean;
  /** Its stored result is being read (a second notice of the reply is then ignored). */
  readingOutput?: boolean;
  resolve(value: unknown): void;
  reject(err: TaskwireError<string, unknown>): void;
}

interface Entry {
  call: PendingCall;
  timer: NodeJS.Timeout;
  cleanup: (() => void) | undefined;
}

/**
 * The in-flight map. Its one promise: each call settles exactly once, and every timer and abort
 * listener it registered is removed when it does (so thousands of timeouts leak nothing).
 */
export class PendingCalls {
  readonly #entries = new Map<string, Entry>();
  #keyMode = 0;

  get size(): number {
    return this.#entries.size;
  }

  /** Calls in reply mode "key" (the inbox loop sleeps while this is 0). */
  get keyModeCount(): number {
    return this.#keyMode;
  }

  add(call: PendingCall, onDeadline: (call: PendingCall) => void, cleanup?: () => void): void {
    const delay = Math.max(0, call.deadline - Date.now());
    const timer = setTimeout(() => onDeadline(call), delay);
    this.#entries.set(call.id, { call, timer, cleanup });
    if (call.mode === 'key') this.#keyMode++;
  }

  get(id: string): PendingCall | undefined {
    return this.#entries.get(id)?.call;
  }

  /** Removes the call and releases its timer and listeners; false if it was already settled. */
  take(id: string): PendingCall | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    this.#entries.delete(id);
    clearTimeout(entry.timer);
    entry.cleanup?.();
    if (entry.call.mode === 'key') this.#keyMode--;
    return entry.call;
  }

  resolve(id: string, value: unknown): boolean {
    const call = this.take(id);
    call?.resolve(value);
    return call !== undefined;
  }

  reject(id: string, err: TaskwireError<string, unknown>): boolean {
    const call = this.take(id);
    call?.reject(err);
    return call !== undefined;
  }

  values(): PendingCall[] {
    return [...this.#entries.values()].map((e) => e.call);
  }

  rejectAll(makeError: (call: PendingCall) => TaskwireError<string, unknown>): void {
    for (const call of this.values()) this.reject(call.id, makeError(call));
  }
}
