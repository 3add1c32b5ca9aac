/**
 * One 'abort' listener per AbortSignal, however many calls share it. Callers often pass one
 * request-scoped signal to many calls; a listener per call would trip Node's
 * MaxListenersExceededWarning at 11 and cost a listener each.
 */
export class AbortListeners<T> {
  readonly #bySignal = new WeakMap<AbortSignal, { calls: Set<T>; listener: () => void }>();
  readonly #onAbort: (call: T) => void;

  constructor(onAbort: (call: T) => void) {
    this.#onAbort = onAbort;
  }

  /** Registers a call; returns the function that unregisters it (call it when it settles). */
  add(signal: AbortSignal, call: T): () => void {
    let entry = this.#bySignal.get(signal);
    if (!entry) {
      const calls = new Set<T>();
      const listener = () => {
        this.#bySignal.delete(signal);
        for (const c of [...calls]) this.#onAbort(c);
      };
      entry = { calls, listener };
      this.#bySignal.set(signal, entry);
      signal.addEventListener('abort', listener, { once: true });
    }
    entry.calls.add(call);
    const registered = entry;
    return () => {
      registered.calls.delete(call);
      if (registered.calls.size === 0 && this.#bySignal.get(signal) === registered) {
        this.#bySignal.delete(signal);
        signal.removeEventListener('abort', registered.listener);
      }
    };
  }
}
