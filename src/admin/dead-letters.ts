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
  /**
   * Names the dead letter for get/replay/purge: its stream entry id, and on a partitioned queue
   * `<entry id>#<partition>` (docs/PARTITIONS.md).
   */
  readonly id: string;
  /** Its queue, as callers name it (a partitioned queue's own name, not its partition's). */
  readonly queue: string;
  /** The partition it was on, for a partitioned queue; undefined otherwise. */
  readonly partition: number | undefined;
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

/** A dead letter's id: its entry's, with the partition after `#` on a partitioned queue. */
function letterId(k: QueueKeys, entryId: string): string {
  return k.partition === undefined ? entryId : `${entryId}#${k.partition}`;
}

const PARTITIONED_ID = /^(\d+-\d+)#(\d+)$/;
const LETTER_ID = /^\d+-\d+(?:#\d+)?$/;

/** Whether `id` has the form of a dead letter's id (`1767000000000-0`, or `…-0#2` on a partitioned queue). */
export function isDeadLetterId(id: string): boolean {
  return LETTER_ID.test(id);
}

/** Orders entries of several partitions as one stream: by entry id (time, then sequence), then partition. */
function entryOrder(a: { id: string; k: QueueKeys }, b: { id: string; k: QueueKeys }): number {
  const [am = 0, as = 0] = a.id.split('-').map(Number);
  const [bm = 0, bs = 0] = b.id.split('-').map(Number);
  return am - bm || as - bs || (a.k.partition ?? 0) - (b.k.partition ?? 0);
}

function toDeadLetter(k: QueueKeys, { id, fields: f }: DeadLetterEntry, serializer: Serializer, options: ReadOptions): DeadLetter {
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
    id: letterId(k, id),
    queue: k.logical,
    partition: k.partition,
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

/**
 * List, inspect, replay and purge the dead letters of one queue; of a partitioned queue, of all
 * its partitions as one stream (ordered by when they were set aside), each named with its partition.
 */
export class DeadLetters {
  readonly #store: DeadLetterStore;
  readonly #queues: QueueStore;
  readonly #parts: () => Promise<readonly QueueKeys[]>;
  readonly #serializer: Serializer;

  readonly #signer: Signer | undefined;

  /**
   * `keys`: the queue's keys, or a function that finds them (a partitioned queue's partitions);
   * `signer`: signs the calls a replay writes, for workers that check signatures.
   */
  constructor(store: DeadLetterStore, queues: QueueStore, keys: QueueKeys | (() => Promise<readonly QueueKeys[]>), serializer: Serializer, signer?: Signer) {
    this.#store = store;
    this.#queues = queues;
    this.#parts = typeof keys === 'function' ? keys : () => Promise.resolve([keys]);
    this.#serializer = serializer;
    this.#signer = signer;
  }

  async count(): Promise<number> {
    const parts = await this.#parts();
    const counts = await Promise.all(parts.map((k) => this.#store.count(k)));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Oldest first; `after` is a dead letter's id to page from. */
  async list(options: { count?: number; after?: string; filter?: DeadLetterFilter } & ReadOptions = {}): Promise<DeadLetter[]> {
    const rows = await this.#page(options.after, options.count ?? 100);
    return rows.map(({ k, e }) => toDeadLetter(k, e, this.#serializer, options)).filter((d) => matchesFilter(d, options.filter));
  }

  /**
   * Up to `count` entries after the letter `after`, oldest first, over every partition: each
   * partition is read from the same point (entries of a partition before `after`'s own at the same
   * entry id come after it), and the pages merged.
   */
  async #page(after: string | undefined, count: number): Promise<Array<{ k: QueueKeys; e: DeadLetterEntry }>> {
    const parts = await this.#parts();
    const at = after === undefined ? undefined : this.#parse(after, parts);
    const pages = await Promise.all(
      parts.map(async (k) => {
        if (at === undefined) return (await this.#store.range(k, undefined, count)).map((e) => ({ k, e }));
        // An entry at the same id on a later partition comes after `after`: read those inclusively.
        const later = (k.partition ?? 0) > (at.k.partition ?? 0);
        const rows = later ? await this.#store.rangeFrom(k, at.id, count) : await this.#store.range(k, at.id, count);
        return rows.map((e) => ({ k, e }));
      }),
    );
    if (pages.length === 1) return pages[0] ?? [];
    return pages
      .flat()
      .sort((a, b) => entryOrder({ id: a.e.id, k: a.k }, { id: b.e.id, k: b.k }))
      .slice(0, count);
  }

  /** The partition and entry id a dead letter's id names. */
  #parse(id: string, parts: readonly QueueKeys[]): { k: QueueKeys; id: string } {
    const m = PARTITIONED_ID.exec(id);
    const first = parts[0];
    if (!first) throw new Error('a queue has at least one part');
    if (first.partition === undefined || !m) return { k: first, id: m?.[1] ?? id };
    const k = parts.find((p) => p.partition === Number(m[2]));
    if (!k) throw new TaskwireError(ERROR_CODES.VALIDATION, `dead letter ${id}: queue ${first.logical} has no partition ${m[2]}`, { data: { id, queue: first.logical } });
    return { k, id: m[1] ?? id };
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
    const at = this.#parse(id, await this.#parts());
    const entry = await this.#store.get(at.k, at.id);
    return entry ? toDeadLetter(at.k, entry, this.#serializer, options) : undefined;
  }

  /**
   * Puts one dead letter back on its queue (its partition, on a partitioned queue) as a fresh
   * first attempt with a fresh deadline (the original caller has long stopped waiting). Exactly
   * once: a concurrent replay gets false.
   */
  async replay(id: string): Promise<boolean> {
    const at = this.#parse(id, await this.#parts());
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
    // Back on the partition it came from: an idempotency or partition key keeps its one place.
    return this.#queues.replay(at.k, at.id, raw, DEFAULTS.priorityAgingMs);
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
    const at = this.#parse(id, await this.#parts());
    return this.#store.delete(at.k, at.id);
  }

  /**
   * Deletes every dead letter that matches (all without a filter); returns how many. `through`,
   * without a filter: only the letters up to that one (the newest of a list someone agreed to
   * purge), not those set aside since.
   */
  async purgeAll(filter?: DeadLetterFilter, options: { through?: string } = {}): Promise<number> {
    if (isEmptyFilter(filter)) {
      const parts = await this.#parts();
      const through = options.through === undefined ? undefined : (PARTITIONED_ID.exec(options.through)?.[1] ?? options.through);
      if (through !== undefined && !LETTER_ID.test(through)) throw new TaskwireError(ERROR_CODES.VALIDATION, `through must be a dead letter's id, got ${JSON.stringify(options.through)}`);
      const counts = await Promise.all(parts.map((k) => (through === undefined ? this.#store.deleteAll(k) : this.#store.deleteThrough(k, through))));
      return counts.reduce((a, b) => a + b, 0);
    }
    let n = 0;
    for await (const d of this.#scan(filter)) if (await this.purge(d.id)) n++;
    return n;
  }

  async *#scan(filter?: DeadLetterFilter, from?: string, options: ReadOptions = {}): AsyncGenerator<DeadLetter> {
    let after = from;
    for (;;) {
      const rows = await this.#page(after, 500);
      if (rows.length === 0) return;
      for (const { k, e } of rows) {
        const d = toDeadLetter(k, e, this.#serializer, options);
        after = d.id;
        if (matchesFilter(d, filter)) yield d;
      }
    }
  }
}
