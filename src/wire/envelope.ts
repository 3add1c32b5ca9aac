import { z } from 'zod';
import { errorFromJSON, TaskwireError, type SerializedError } from '../errors.js';
import { hasProtoKey, PROTO_KEY_REASON } from './proto-keys.js';
import { isFiniteNumber, isObject, isString, optional } from './hand-checks.js';
import { followUpStepSchema, isFollowUpStep, type FollowUpStep } from './follow-up-step.js';

export type { FollowUpStep } from './follow-up-step.js';
import { ENVELOPE_PREFIX, GROUP_NAME, MAX_PRIORITY, PROTOCOL_VERSION } from './protocol.js';

/**
 * The wire format (protocol.ts PROTOCOL_VERSION). docs/PROTOCOL.md describes it for people; this
 * file is the truth.
 *
 * A call envelope is one JSON text pushed on a queue's wait list. It MUST begin with
 * ENVELOPE_PREFIX and the call id (JSON.stringify keeps insertion order, so building the object
 * with v and id first guarantees it): scripts read the id with a prefix match, without a JSON
 * parse, to count deliveries.
 */

/** How a caller waits for its replies (the client option `replyMode`). */
export type ReplyMode = 'key' | 'pubsub';

/**
 * How a reply travels, as a call envelope says. Reply mode "key" is sent as `hash`: the reply is
 * pushed on the client's inbox list and kept, until the client has read it, as field <call id>
 * of the client's replies hash (`QueueKeys.replies`). Reply mode "pubsub" is `pubsub` (PUBLISH on
 * `<prefix>:reply:<client>`) or, for a client with `shardedPubSub`, `spubsub` (SPUBLISH on the
 * queue's own `<prefix>:{<queue>}:reply:<client>`, which lives on the queue's shard).
 */
export type WireReplyMode = 'hash' | 'pubsub' | 'spubsub';

export interface ReplyTarget {
  mode: WireReplyMode;
  /** The calling client's id; names its inbox list or reply channel. */
  client: string;
}

export interface CallEnvelope {
  v: 1;
  id: string;
  /** Dotted task path, e.g. "tasks.resize". */
  task: string;
  /**
   * 1 (most urgent) to MAX_PRIORITY; absent: none, taken before every prioritized call that is
   * not yet due (see docs/SCHEDULING.md). Written right after `task`: scripts read it by a prefix
   * match when a call comes back from `delayed` (a retry, a delay) to route it again.
   */
  priority?: number;
  /** Fair group (a tenant, a user): a queue takes calls round-robin across groups. After `priority`. */
  group?: string;
  /**
   * 1 when the input is stored at the queue's input key for this call (`QueueKeys.input`)
   * instead of here: inputs of STORED_PAYLOAD_BYTES or more never pass through Lua (protocol.ts).
   */
  stored?: 1;
  /** Serialized input (superjson { json, meta } by default); absent exactly when `stored` is 1. */
  input?: unknown;
  /** Absent for fire-and-forget (no one waits for the result). */
  reply?: ReplyTarget;
  /** Absolute deadline, ms since epoch (caller's clock). */
  deadline: number;
  /** 1 for the first attempt; retries increment it. */
  attempt: number;
  /** Free-form string headers (trace context and the like). */
  headers?: Record<string, string>;
  /** Fingerprint of the caller's view of the task's schemas. */
  fp?: string;
  /** When the caller sent it, ms since epoch. */
  sentAt: number;
  /** Idempotency key, if the caller gave one, and how long its result is kept (ms). */
  idem?: string;
  idemTtl?: number;
  /** Per-call retry policy; overrides the task's. */
  retry?: { attempts: number; backoffMs?: number; maxDelayMs?: number };
  /**
   * The caller listens for progress reports (ProgressMessage): 1 on its reply channel
   * `<prefix>:reply:<client>` (PUBLISH), 2 on the queue's `<prefix>:{<queue>}:reply:<client>`
   * (SPUBLISH: a client with `shardedPubSub`).
   */
  progress?: 1 | 2;
  /** Run after it succeeds, with its output as input (docs/WORKFLOWS.md, *Follow-ups*). */
  then?: FollowUpStep;
  /** Run after it finally fails, with `{ callId, task, input, error }` as input. */
  catch?: FollowUpStep;
}


/**
 * A progress report, published on the caller's reply channel (only to callers whose envelope
 * says `progress: 1`). Best effort: the latest value of a burst is sent, and a report may arrive
 * after the reply; the reply is what counts.
 */
export interface ProgressMessage {
  v: 1;
  id: string;
  /** Serialized value (superjson by default), as the task's progress schema admits. */
  progress: unknown;
}

export interface OkReply {
  v: 1;
  id: string;
  ok: true;
  /**
   * The lease token under which the output is stored at `QueueKeys.output(id, token)` instead of
   * here (outputs of STORED_PAYLOAD_BYTES or more, calls without an idempotency key).
   */
  stored?: string;
  /** Serialized output; absent exactly when `stored` is set. */
  output?: unknown;
  /** The worker's fingerprint of the task; the caller re-checks output when it differs. */
  fp?: string;
}

export interface ErrReply {
  v: 1;
  id: string;
  ok: false;
  error: SerializedError;
  fp?: string;
}

export type ReplyEnvelope = OkReply | ErrReply;

const callId = z.string().min(1).max(128).regex(/^[^"\\]+$/);


const callFields = z.object({
  v: z.literal(1),
  id: callId,
  task: z.string().min(1).max(512),
  priority: z.number().int().min(1).max(MAX_PRIORITY).optional(),
  group: z.string().min(1).max(128).regex(GROUP_NAME).optional(),
  stored: z.literal(1).optional(),
  input: z.unknown().optional(),
  reply: z.object({ mode: z.enum(['hash', 'pubsub', 'spubsub']), client: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/) }).optional(),
  deadline: z.number().finite(),
  attempt: z.number().int().min(1),
  headers: z.record(z.string(), z.string()).optional(),
  fp: z.string().max(128).optional(),
  sentAt: z.number().finite(),
  idem: z.string().min(1).max(512).optional(),
  idemTtl: z.number().int().positive().optional(),
  retry: z
    .object({ attempts: z.number().int().min(1).max(100), backoffMs: z.number().min(0).optional(), maxDelayMs: z.number().min(0).optional() })
    .optional(),
  progress: z.union([z.literal(1), z.literal(2)]).optional(),
  then: followUpStepSchema.optional(),
  catch: followUpStepSchema.optional(),
});

export const callSchema = callFields.refine((v) => 'input' in v !== (v.stored === 1), {
  message: 'a call carries its input, or says "stored":1 and carries none',
});

const serializedErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  data: z.unknown().optional(),
  defined: z.boolean(),
  retryable: z.boolean().optional(),
});

/** A lease token as written by take-11.lua (`%d`). */
const TOKEN = /^[0-9]{1,20}$/;
const token = z.string().regex(TOKEN);
export const replySchema = z.discriminatedUnion('ok', [
  z
    .object({ v: z.literal(1), id: callId, ok: z.literal(true), stored: token.optional(), output: z.unknown().optional(), fp: z.string().optional() })
    .refine((v) => 'output' in v !== (v.stored !== undefined), { message: 'a reply carries its output, or says where it is stored, not both' }),
  z.object({ v: z.literal(1), id: callId, ok: z.literal(false), error: serializedErrorSchema, fp: z.string().optional() }),
]);

/*
 * Encoders build one fixed-shape object literal, absent fields left undefined (JSON.stringify
 * omits them), in wire order. V8 stringifies such objects on its fast path; the former
 * `{ v, id, ...rest }` spread made a fresh dictionary-shaped object per call and was ~10% of a
 * client's CPU in the issue 5 profile.
 */
/*
 * Hand-written twins of callSchema and replySchema for the hot path (one of each per call): they
 * accept exactly what the schemas accept (test/core/envelope.test.ts holds them to it) without
 * zod's copy of every object. Whatever they refuse goes through the schema, which words the
 * reason. Unknown fields are let through here but never read, and never re-encoded.
 */
const CALL_ID = /^[^"\\]+$/;
const CLIENT_ID = /^[A-Za-z0-9_.:-]+$/;
const isCallId = (v: unknown): v is string => isString(v, 1, 128) && CALL_ID.test(v);

function isStringRecord(v: unknown): boolean {
  if (!isObject(v)) return false;
  for (const key in v) if (typeof v[key] !== 'string') return false;
  return true;
}

export function isCallEnvelope(v: unknown): v is CallEnvelope {
  if (!isObject(v)) return false;
  return (
    v['v'] === 1 &&
    isCallId(v['id']) &&
    isString(v['task'], 1, 512) &&
    optional(v['priority'], (p) => Number.isSafeInteger(p) && (p as number) >= 1 && (p as number) <= MAX_PRIORITY) &&
    optional(v['group'], (g) => isString(g, 1, 128) && GROUP_NAME.test(g)) &&
    ('input' in v ? v['stored'] === undefined : v['stored'] === 1) &&
    optional(v['reply'], (r) => isObject(r) && (r['mode'] === 'hash' || r['mode'] === 'pubsub' || r['mode'] === 'spubsub') && isString(r['client'], 1, 128) && CLIENT_ID.test(r['client'])) &&
    isFiniteNumber(v['deadline']) &&
    Number.isSafeInteger(v['attempt']) &&
    (v['attempt'] as number) >= 1 &&
    optional(v['headers'], isStringRecord) &&
    optional(v['fp'], (fp) => isString(fp, 0, 128)) &&
    isFiniteNumber(v['sentAt']) &&
    optional(v['idem'], (k) => isString(k, 1, 512)) &&
    optional(v['idemTtl'], (t) => Number.isSafeInteger(t) && (t as number) > 0) &&
    optional(
      v['retry'],
      (r) =>
        isObject(r) &&
        Number.isSafeInteger(r['attempts']) &&
        (r['attempts'] as number) >= 1 &&
        (r['attempts'] as number) <= 100 &&
        optional(r['backoffMs'], (b) => isFiniteNumber(b) && b >= 0) &&
        optional(r['maxDelayMs'], (b) => isFiniteNumber(b) && b >= 0),
    ) &&
    optional(v['progress'], (p) => p === 1 || p === 2) &&
    optional(v['then'], isFollowUpStep) &&
    optional(v['catch'], isFollowUpStep)
  );
}


export function isReplyEnvelope(v: unknown): v is ReplyEnvelope {
  if (!isObject(v) || v['v'] !== 1 || !isCallId(v['id']) || !optional(v['fp'], (fp) => typeof fp === 'string')) return false;
  // Present (whatever its value), or stored under a lease token instead.
  if (v['ok'] === true) return 'output' in v ? v['stored'] === undefined : typeof v['stored'] === 'string' && TOKEN.test(v['stored']);
  if (v['ok'] !== false) return false;
  const e = v['error'];
  return (
    isObject(e) &&
    typeof e['code'] === 'string' &&
    typeof e['message'] === 'string' &&
    typeof e['defined'] === 'boolean' &&
    optional(e['retryable'], (r) => typeof r === 'boolean')
  );
}

export function encodeCall(call: Omit<CallEnvelope, 'v'>): string {
  return JSON.stringify({
    v: PROTOCOL_VERSION,
    id: call.id,
    task: call.task,
    // Right after the task, before the input, in this order (docs/PROTOCOL.md): scripts find
    // them by a prefix match, never inside the input.
    priority: call.priority,
    group: call.group,
    stored: call.stored,
    input: call.stored === 1 ? undefined : call.input,
    reply: call.reply,
    deadline: call.deadline,
    attempt: call.attempt,
    headers: call.headers,
    fp: call.fp,
    sentAt: call.sentAt,
    idem: call.idem,
    idemTtl: call.idemTtl,
    retry: call.retry,
    progress: call.progress,
    then: call.then,
    catch: call.catch,
  });
}

export function encodeProgress(id: string, progress: unknown): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, id, progress });
}

/** A progress report's shape (it has no `ok`: a reply always has). */
function isProgress(v: unknown): v is ProgressMessage {
  return isObject(v) && v['v'] === 1 && isCallId(v['id']) && 'progress' in v && !('ok' in v);
}

/**
 * What arrives on a caller's reply channel: a reply, or a progress report (its JSON parsed once,
 * and a report never goes through the reply schema's error path).
 */
export function decodeReplyOrProgress(raw: string): Decoded<ReplyEnvelope> | { ok: true; progress: ProgressMessage } {
  const json = parseJson(raw);
  if (!json.ok) return json;
  if (hasProtoKey(raw, json.value)) return { ok: false, reason: `bad reply: ${PROTO_KEY_REASON}` };
  if (isReplyEnvelope(json.value)) return { ok: true, value: json.value };
  if (isProgress(json.value)) return { ok: true, progress: json.value };
  return checkedReply(json.value);
}

export function encodeReply(reply: Omit<OkReply, 'v'> | Omit<ErrReply, 'v'>): string {
  return reply.ok
    ? JSON.stringify({ v: PROTOCOL_VERSION, id: reply.id, ok: true, stored: reply.stored, output: reply.stored === undefined ? reply.output : undefined, fp: reply.fp })
    : JSON.stringify({ v: PROTOCOL_VERSION, id: reply.id, ok: false, error: reply.error, fp: reply.fp });
}

/*
 * Stored forms (protocol.ts STORED_PAYLOAD_BYTES): the payload's JSON text is cut out of the
 * envelope already encoded with it inline, rather than stringified a second time (1 MB of
 * JSON.stringify is ~2 ms here), and the envelope is rebuilt around a marker in its place. An
 * inline envelope is a head up to `"input":`/`"output":`, the payload, and the same tail as the
 * envelope without the payload.
 */
function cutOut(raw: string, head: string, tail: string): string | undefined {
  const start = head.length;
  return raw.startsWith(head) && raw.endsWith(tail) && raw.length - tail.length > start ? raw.slice(start, raw.length - tail.length) : undefined;
}

/** A call's input text and its envelope with `"stored":1` in the input's place; `raw` is encodeCall(fields). */
export function storedCall(raw: string, fields: Omit<CallEnvelope, 'v'>): { payload: string; envelope: string } {
  const route = `${fields.priority === undefined ? '' : `,"priority":${fields.priority}`}${fields.group === undefined ? '' : `,"group":${JSON.stringify(fields.group)}`}`;
  const head = `${ENVELOPE_PREFIX}${fields.id}","task":${JSON.stringify(fields.task)}${route}`;
  const tail = encodeCall({ ...fields, input: undefined }).slice(head.length);
  const payload = cutOut(raw, `${head},"input":`, tail);
  if (payload !== undefined) return { payload, envelope: `${head},"stored":1${tail}` };
  // Not reached with encodeCall as it is; kept correct should its field order change.
  return { payload: JSON.stringify(fields.input), envelope: encodeCall({ ...fields, stored: 1 }) };
}

/** An ok reply's output text and the reply that names the lease token it is stored under; `raw` is encodeReply(reply). */
export function storedReply(raw: string, reply: Omit<OkReply, 'v'>, token: string): { payload: string; envelope: string } {
  const head = `${ENVELOPE_PREFIX}${reply.id}","ok":true`;
  const tail = reply.fp === undefined ? '}' : `,"fp":${JSON.stringify(reply.fp)}}`;
  const payload = cutOut(raw, `${head},"output":`, tail);
  if (payload !== undefined) return { payload, envelope: `${head},"stored":"${token}"${tail}` };
  return { payload: JSON.stringify(reply.output), envelope: encodeReply({ ...reply, stored: token }) };
}

/** The UTF-8 size of an encoded envelope when it exceeds `limit` bytes, else undefined. */
export function bytesOver(raw: string, limit: number): number | undefined {
  // String length bounds the byte length from below (and 3x from above), so the exact count is
  // only needed near the limit.
  if (raw.length > limit) return Buffer.byteLength(raw);
  if (raw.length * 3 <= limit) return undefined;
  const bytes = Buffer.byteLength(raw);
  return bytes > limit ? bytes : undefined;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string; id?: string; reply?: ReplyTarget };

function parseJson(raw: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
}

/**
 * Parses a raw queue message. Never throws: garbage is reported with a reason and, when the
 * message still names a call id and reply target, enough to tell its caller.
 */
export function decodeCall(raw: string): Decoded<CallEnvelope> {
  const json = parseJson(raw);
  if (!json.ok) return json;
  const parsed = isCallEnvelope(json.value) ? { success: true as const, data: json.value } : callSchema.safeParse(json.value);
  if (parsed.success) {
    const value = parsed.data as CallEnvelope;
    // The scripts read the id by a prefix match (take-11.lua counts deliveries and drops cancelled
    // calls by it): a call written any other way (fields reordered, spaces, an escaped id) would
    // run uncounted, and a poison call in that form would crash workers forever.
    if (hasProtoKey(raw, value)) return { ok: false, reason: `bad envelope: ${PROTO_KEY_REASON}`, id: value.id, reply: value.reply };
    if (raw.startsWith(`${ENVELOPE_PREFIX}${value.id}"`)) return { ok: true, value };
    return { ok: false, reason: `bad envelope: it must begin with ${ENVELOPE_PREFIX}<call id>"`, id: value.id, reply: value.reply };
  }
  const reason = `bad envelope: ${z.prettifyError(parsed.error).replace(/\s+/g, ' ').slice(0, 500)}`;
  // Salvage id and reply target so a caller is told instead of timing out.
  const loose = z.object({ id: callId, reply: callFields.shape.reply.unwrap() }).safeParse(json.value);
  return loose.success ? { ok: false, reason, id: loose.data.id, reply: loose.data.reply } : { ok: false, reason };
}

export function decodeReply(raw: string): Decoded<ReplyEnvelope> {
  const json = parseJson(raw);
  if (!json.ok) return json;
  if (hasProtoKey(raw, json.value)) return { ok: false, reason: `bad reply: ${PROTO_KEY_REASON}` };
  if (isReplyEnvelope(json.value)) return { ok: true, value: json.value };
  return checkedReply(json.value);
}

/** The schema's verdict on what the hand check refused, with its reason in words. */
function checkedReply(value: unknown): Decoded<ReplyEnvelope> {
  const parsed = replySchema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data as ReplyEnvelope };
  return { ok: false, reason: `bad reply: ${z.prettifyError(parsed.error).replace(/\s+/g, ' ').slice(0, 500)}` };
}

export function replyError(reply: ErrReply, deserializeData: (data: unknown) => unknown): TaskwireError<string, unknown> {
  const data = reply.error.data === undefined ? undefined : deserializeData(reply.error.data);
  return errorFromJSON({ ...reply.error, data });
}
