import { ERROR_CODES, TaskwireError, type SerializedError } from '../errors.js';
import { decodeCall, decodeReply, encodeCall } from '../wire/envelope.js';
import type { QueueKeys } from '../wire/keys.js';
import type { DeadLetterEntry, DeadLetterStore } from '../transport/dead-letter-store.js';
import type { QueueStore } from '../transport/queue-store.js';

/** One call set aside on a queue's dead-letter stream. */
export interface DeadLetter {
  /** Stream entry id; names the dead letter for get/replay/purge. */
  readonly id: string;
  readonly queue: string;
  /** Why: MAX_DELIVERIES, ATTEMPTS_EXHAUSTED, UNKNOWN_TASK, PAYLOAD_TOO_LARGE, PROTOCOL: <detail>. */
  readonly reason: string;
  readonly detail: string | undefined;
  readonly callId: string | undefined;
  readonly task: string | undefined;
  readonly attempt: number | undefined;
  /** The envelope exactly as it was on the queue. */
  readonly envelope: string;
  /**
   * The serialized input of a call sent with `"stored":1` (its envelope carries none, see
   * wire/protocol.ts STORED_PAYLOAD_BYTES), kept in the dead letter; undefined for other calls and
   * when it could not be kept (gone, or over the worker's size limit).
   */
  readonly storedInput: string | undefined;
  /** The last error the caller was sent, if any. */
  readonly error: SerializedError | undefined;
  /** When it was set aside, ms since epoch (Redis clock). */
  readonly at: number;
}

export interface DeadLetterFilter {
  reason?: string;
  task?: string;
}

function toDeadLetter(queue: string, { id, fields: f }: DeadLetterEntry): DeadLetter {
  const envelope = f['envelope'] ?? '';
  const call = decodeCall(envelope);
  const reply = f['error'] ? decodeReply(f['error']) : undefined;
  return {
    id,
    queue,
    reason: (f['reason'] ?? 'UNKNOWN').split(':')[0] ?? 'UNKNOWN',
    detail: f['detail'] ?? (f['reason']?.includes(':') ? f['reason'].slice(f['reason'].indexOf(':') + 1).trim() : undefined),
    callId: call.ok ? call.value.id : f['id'] || undefined,
    task: call.ok ? call.value.task : undefined,
    attempt: call.ok ? call.value.attempt : undefined,
    envelope,
    storedInput: f['input'],
    error: reply?.ok && !reply.value.ok ? reply.value.error : undefined,
    at: Number(f['at'] ?? 0),
  };
}

function matches(d: DeadLetter, filter: DeadLetterFilter | undefined): boolean {
  return (filter?.reason === undefined || d.reason === filter.reason) && (filter?.task === undefined || d.task === filter.task);
}

/** List, inspect, replay and purge the dead letters of one queue. */
export class DeadLetters {
  readonly #store: DeadLetterStore;
  readonly #queues: QueueStore;
  readonly #keys: QueueKeys;

  constructor(store: DeadLetterStore, queues: QueueStore, keys: QueueKeys) {
    this.#store = store;
    this.#queues = queues;
    this.#keys = keys;
  }

  count(): Promise<number> {
    return this.#store.count(this.#keys);
  }

  /** Oldest first; `after` is an entry id to page from. */
  async list(options: { count?: number; after?: string; filter?: DeadLetterFilter } = {}): Promise<DeadLetter[]> {
    const rows = await this.#store.range(this.#keys, options.after, options.count ?? 100);
    return rows.map((e) => toDeadLetter(this.#keys.queue, e)).filter((d) => matches(d, options.filter));
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const entry = await this.#store.get(this.#keys, id);
    return entry ? toDeadLetter(this.#keys.queue, entry) : undefined;
  }

  /**
   * Puts one dead letter back on its queue as a fresh first attempt with a fresh deadline (the
   * original caller has long stopped waiting). Exactly once: a concurrent replay gets false.
   */
  async replay(id: string): Promise<boolean> {
    const d = await this.get(id);
    if (!d) return false;
    const call = decodeCall(d.envelope);
    if (!call.ok) {
      throw new TaskwireError(ERROR_CODES.PROTOCOL, `dead letter ${id} is not a readable call and cannot be replayed: ${call.reason}`, {
        data: { id, queue: d.queue },
      });
    }
    const now = Date.now();
    const env = call.value;
    let input = env.input;
    if (env.stored === 1) {
      if (d.storedInput === undefined) {
        throw new TaskwireError(ERROR_CODES.PROTOCOL, `dead letter ${id} cannot be replayed: its stored input was not kept (gone or too large)`, {
          data: { id, queue: d.queue },
        });
      }
      // Goes back inline: a replay is rare, and it needs no key whose life to manage.
      try {
        input = JSON.parse(d.storedInput) as unknown;
      } catch (err) {
        throw new TaskwireError(ERROR_CODES.PROTOCOL, `dead letter ${id} cannot be replayed: its stored input is not JSON (${(err as Error).message})`, {
          data: { id, queue: d.queue },
        });
      }
    }
    const raw = encodeCall({ ...env, stored: undefined, input, attempt: 1, sentAt: now, deadline: now + Math.max(1_000, env.deadline - env.sentAt) });
    return this.#queues.replay(this.#keys, id, raw);
  }

  /** Replays every dead letter that matches; returns how many went back. */
  async replayAll(filter?: DeadLetterFilter): Promise<number> {
    let n = 0;
    for await (const d of this.#scan(filter)) {
      try {
        if (await this.replay(d.id)) n++;
      } catch {
        // Unreadable ones stay for inspection; replaying the rest is still wanted.
      }
    }
    return n;
  }

  async purge(id: string): Promise<boolean> {
    return this.#store.delete(this.#keys, id);
  }

  /** Deletes every dead letter that matches (all without a filter); returns how many. */
  async purgeAll(filter?: DeadLetterFilter): Promise<number> {
    if (!filter) return this.#store.deleteAll(this.#keys);
    let n = 0;
    for await (const d of this.#scan(filter)) if (await this.purge(d.id)) n++;
    return n;
  }

  async *#scan(filter?: DeadLetterFilter): AsyncGenerator<DeadLetter> {
    let after: string | undefined;
    for (;;) {
      const rows = await this.#store.range(this.#keys, after, 500);
      if (rows.length === 0) return;
      for (const e of rows) {
        after = e.id;
        const d = toDeadLetter(this.#keys.queue, e);
        if (matches(d, filter)) yield d;
      }
    }
  }
}
