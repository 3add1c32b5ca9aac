import { ERROR_CODES, TaskwireError } from '../errors.js';
import type { Signer } from '../wire/signing.js';
import { decodeCall, decodeReply, encodeCall, replyError, type CallEnvelope } from '../wire/envelope.js';
import type { QueueKeys } from '../wire/keys.js';
import { DEFAULTS } from '../wire/protocol.js';
import type { Serializer } from '../wire/serializer.js';
import type { DeadLetterEntry, DeadLetterStore } from '../transport/dead-letter-store.js';
import type { QueueStore } from '../transport/queue-store.js';
import { isEmptyFilter, matchesFilter, type DeadLetterFilter } from './dead-letter-filter.js';

export type { DeadLetterFilter, InputCondition } from './dead-letter-filter.js';

/** One call set aside on a queue's dead-letter stream, decoded. */
export interface DeadLetter {
  /** Stream entry id; names the dead letter for get/replay/purge. */
  readonly id: string;
  readonly queue: string;
  /** Why: MAX_DELIVERIES, ATTEMPTS_EXHAUSTED, UNKNOWN_TASK, PAYLOAD_TOO_LARGE, PROTOCOL. */
  readonly reason: string;
  /** What went wrong, in words (for PROTOCOL and PAYLOAD_TOO_LARGE). */
  readonly detail: string | undefined;
  readonly callId: string | undefined;
  readonly task: string | undefined;
  readonly attempt: number | undefined;
  /** The call's priority and fair group, if it had them (docs/SCHEDULING.md). */
  readonly priority: number | undefined;
  readonly group: string | undefined;
  /**
   * The call's input as its handler would get it (deserialized), stored inputs included;
   * undefined when the message was not a readable call or its input could not be decoded
   * (then `inputProblem` says why).
   */
  readonly input: unknown;
  readonly inputProblem: string | undefined;
  /** Headers the call carried (trace context and the like). */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** When its caller sent it, ms since epoch (caller's clock). */
  readonly sentAt: number | undefined;
  /** The last error its caller was sent, as the caller got it (declared errors' data decoded). */
  readonly error: TaskwireError<string, unknown> | undefined;
  /** When it was set aside, ms since epoch (Redis clock). */
  readonly at: number;
  /** Only with `{ raw: true }`: the stream entry's texts as the worker wrote them. */
  readonly raw?: RawDeadLetter;
}

/** A dead letter's wire texts, for debugging the wire itself. */
export interface RawDeadLetter {
  /** The envelope exactly as it was on the queue. */
  readonly envelope: string;
  /** The serialized input of a call sent with `"stored":1` (its envelope carries none). */
  readonly storedInput: string | undefined;
  /** The reply envelope its caller was sent. */
  readonly reply: string | undefined;
}


export interface ReadOptions {
  /** Include the wire texts (`raw`). Default false. */
  raw?: boolean;
}

/** The input of a decoded call, deserialized: the envelope's own, or the one kept beside it. */
function inputOf(call: CallEnvelope, storedInput: string | undefined, serializer: Serializer): { input?: unknown; problem?: string } {
  try {
    if (call.stored !== 1) return { input: serializer.deserialize(call.input) };
    if (storedInput === undefined) return { problem: 'its stored input was not kept (gone, or over the worker\'s size limit)' };
    return { input: serializer.deserialize(JSON.parse(storedInput)) };
  } catch (err) {
    return { problem: `its input cannot be decoded: ${(err as Error).message}` };
  }
}

function toDeadLetter(queue: string, { id, fields: f }: DeadLetterEntry, serializer: Serializer, options: ReadOptions): DeadLetter {
  const envelope = f['envelope'] ?? '';
  const decoded = decodeCall(envelope);
  const call = decoded.ok ? decoded.value : undefined;
  const reply = f['error'] ? decodeReply(f['error']) : undefined;
  const { input, problem } = call ? inputOf(call, f['input'], serializer) : { input: undefined, problem: 'not a readable call' };
  let error: TaskwireError<string, unknown> | undefined;
  if (reply?.ok && !reply.value.ok) {
    const sent = reply.value;
    try {
      error = replyError(sent, (d) => serializer.deserialize(d));
    } catch {
      // Data that cannot be decoded: the error still says what happened.
      error = replyError({ ...sent, error: { ...sent.error, data: undefined } }, () => undefined);
    }
  }
  const reason = f['reason'] ?? 'UNKNOWN';
  const colon = reason.indexOf(':');
  return {
    id,
    queue,
    reason: colon < 0 ? reason : reason.slice(0, colon),
    detail: f['detail'] ?? (colon < 0 ? undefined : reason.slice(colon + 1).trim()),
    callId: call?.id ?? (f['id'] || undefined),
    task: call?.task,
    attempt: call?.attempt,
    priority: call?.priority,
    group: call?.group,
    input,
    inputProblem: problem,
    headers: call?.headers,
    sentAt: call?.sentAt,
    error,
    at: Number(f['at'] ?? 0),
    ...(options.raw ? { raw: { envelope, storedInput: f['input'], reply: f['error'] } } : {}),
  };
}

/** List, inspect, replay and purge the dead letters of one queue. */
export class DeadLetters {
  readonly #store: DeadLetterStore;
  readonly #queues: QueueStore;
  readonly #keys: QueueKeys;
  readonly #serializer: Serializer;

  readonly #signer: Signer | undefined;

  /** `signer`: signs the calls a replay writes, for workers that check signatures. */
  constructor(store: DeadLetterStore, queues: QueueStore, keys: QueueKeys, serializer: Serializer, signer?: Signer) {
    this.#store = store;
    this.#queues = queues;
    this.#keys = keys;
    this.#serializer = serializer;
    this.#signer = signer;
  }

  count(): Promise<number> {
    return this.#store.count(this.#keys);
  }

  /** Oldest first; `after` is an entry id to page from. */
  async list(options: { count?: number; after?: string; filter?: DeadLetterFilter } & ReadOptions = {}): Promise<DeadLetter[]> {
    const rows = await this.#store.range(this.#keys, options.after, options.count ?? 100);
    return rows.map((e) => toDeadLetter(this.#keys.queue, e, this.#serializer, options)).filter((d) => matchesFilter(d, options.filter));
  }

  /**
   * The dead letters that match, oldest first, at most `limit` (default all): unlike `list`,
   * which filters one page, this reads page after page until it has `limit` matches.
   */
  async find(filter?: DeadLetterFilter, options: { limit?: number; after?: string } & ReadOptions = {}): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return out;
    for await (const d of this.#scan(filter, options.after, options)) {
      out.push(d);
      if (out.length >= limit) break;
    }
    return out;
  }

  async get(id: string, options: ReadOptions = {}): Promise<DeadLetter | undefined> {
    const entry = await this.#store.get(this.#keys, id);
    return entry ? toDeadLetter(this.#keys.queue, entry, this.#serializer, options) : undefined;
  }

  /**
   * Puts one dead letter back on its queue as a fresh first attempt with a fresh deadline (the
   * original caller has long stopped waiting). Exactly once: a concurrent replay gets false.
   */
  async replay(id: string): Promise<boolean> {
    const d = await this.get(id, { raw: true });
    if (!d?.raw) return false;
    const call = decodeCall(d.raw.envelope);
    if (!call.ok) {
      throw new TaskwireError(ERROR_CODES.PROTOCOL, `dead letter ${id} is not a readable call and cannot be replayed: ${call.reason}`, {
        data: { id, queue: d.queue },
      });
    }
    const now = Date.now();
    const env = call.value;
    let input = env.input;
    if (env.stored === 1) {
      const storedInput = d.raw.storedInput;
      if (storedInput === undefined) {
        throw new TaskwireError(ERROR_CODES.PROTOCOL, `dead letter ${id} cannot be replayed: its stored input was not kept (gone or too large)`, {
          data: { id, queue: d.queue },
        });
      }
      // Goes back inline: a replay is rare, and it needs no key whose life to manage.
      try {
        input = JSON.parse(storedInput) as unknown;
      } catch (err) {
        throw new TaskwireError(ERROR_CODES.PROTOCOL, `dead letter ${id} cannot be replayed: its stored input is not JSON (${(err as Error).message})`, {
          data: { id, queue: d.queue },
        });
      }
    }
    const unsigned = encodeCall({ ...env, stored: undefined, input, attempt: 1, sentAt: now, deadline: now + Math.max(1_000, env.deadline - env.sentAt) });
    const raw = this.#signer ? this.#signer.signCall(unsigned) : unsigned;
    return this.#queues.replay(this.#keys, id, raw, DEFAULTS.priorityAgingMs);
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
    if (isEmptyFilter(filter)) return this.#store.deleteAll(this.#keys);
    let n = 0;
    for await (const d of this.#scan(filter)) if (await this.purge(d.id)) n++;
    return n;
  }

  async *#scan(filter?: DeadLetterFilter, from?: string, options: ReadOptions = {}): AsyncGenerator<DeadLetter> {
    let after = from;
    for (;;) {
      const rows = await this.#store.range(this.#keys, after, 500);
      if (rows.length === 0) return;
      for (const e of rows) {
        after = e.id;
        const d = toDeadLetter(this.#keys.queue, e, this.#serializer, options);
        if (matchesFilter(d, filter)) yield d;
      }
    }
  }
}
