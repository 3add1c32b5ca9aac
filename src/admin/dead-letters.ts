import type { Connection } from '../transport/connection.js';
import { ERROR_CODES, TaskwireError, type SerializedError } from '../errors.js';
import { decodeCall, decodeReply, encodeCall } from '../wire/envelope.js';
import type { QueueKeys } from '../wire/keys.js';
import { scripts } from '../transport/scripts.js';

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
   * wire/keys.ts STORED_PAYLOAD_BYTES), kept in the dead letter; undefined for other calls and
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

function fieldsOf(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
}

function toDeadLetter(queue: string, id: string, flat: string[]): DeadLetter {
  const f = fieldsOf(flat);
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
  readonly #redis: Connection;
  readonly #keys: QueueKeys;

  constructor(redis: Connection, keys: QueueKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  count(): Promise<number> {
    return this.#redis.xlen(this.#keys.dead);
  }

  /** Oldest first; `after` is an entry id to page from. */
  async list(options: { count?: number; after?: string; filter?: DeadLetterFilter } = {}): Promise<DeadLetter[]> {
    const start = options.after === undefined ? '-' : `(${options.after}`;
    const rows = await this.#redis.xrange(this.#keys.dead, start, '+', 'COUNT', options.count ?? 100);
    return rows.map(([id, flat]) => toDeadLetter(this.#keys.queue, id, flat)).filter((d) => matches(d, options.filter));
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const rows = await this.#redis.xrange(this.#keys.dead, id, id);
    const row = rows[0];
    return row ? toDeadLetter(this.#keys.queue, row[0], row[1]) : undefined;
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
    return (await scripts(this.#redis).replay(this.#keys, id, raw)) === 1;
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
    return (await this.#redis.xdel(this.#keys.dead, id)) === 1;
  }

  /** Deletes every dead letter that matches (all without a filter); returns how many. */
  async purgeAll(filter?: DeadLetterFilter): Promise<number> {
    if (!filter) {
      const n = await this.count();
      await this.#redis.del(this.#keys.dead);
      return n;
    }
    let n = 0;
    for await (const d of this.#scan(filter)) if (await this.purge(d.id)) n++;
    return n;
  }

  async *#scan(filter?: DeadLetterFilter): AsyncGenerator<DeadLetter> {
    let after: string | undefined;
    for (;;) {
      const rows = await this.#redis.xrange(this.#keys.dead, after === undefined ? '-' : `(${after}`, '+', 'COUNT', 500);
      if (rows.length === 0) return;
      for (const [id, flat] of rows) {
        after = id;
        const d = toDeadLetter(this.#keys.queue, id, flat);
        if (matches(d, filter)) yield d;
      }
    }
  }
}
