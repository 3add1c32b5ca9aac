import { z } from 'zod';
import { errorFromJSON, TaskwireError, type SerializedError } from '../errors.js';

/**
 * The wire format, version 1. docs/PROTOCOL.md describes it for people; this file is the truth.
 *
 * A call envelope is one JSON text pushed on a queue's wait list. It MUST begin with
 * `{"v":1,"id":"<call id>"` (JSON.stringify keeps insertion order, so building the object with
 * v and id first guarantees it): the take script reads the id with a prefix match, without a
 * JSON parse, to count deliveries.
 */
export const PROTOCOL_VERSION = 1;

export type ReplyMode = 'key' | 'pubsub';

export interface ReplyTarget {
  /** key: result stored at the call's reply key and the id pushed on the client's inbox. */
  mode: ReplyMode;
  /** The calling client's id; names its inbox list or reply channel. */
  client: string;
}

export interface CallEnvelope {
  v: 1;
  id: string;
  /** Dotted task path, e.g. "tasks.resize". */
  task: string;
  /** Serialized input (superjson { json, meta } by default). */
  input: unknown;
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
}

export interface OkReply {
  v: 1;
  id: string;
  ok: true;
  output: unknown;
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

const callSchema = z.object({
  v: z.literal(1),
  id: callId,
  task: z.string().min(1).max(512),
  input: z.unknown(),
  reply: z.object({ mode: z.enum(['key', 'pubsub']), client: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/) }).optional(),
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
});

const serializedErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  data: z.unknown().optional(),
  defined: z.boolean(),
  retryable: z.boolean().optional(),
});

const replySchema = z.discriminatedUnion('ok', [
  z.object({ v: z.literal(1), id: callId, ok: z.literal(true), output: z.unknown(), fp: z.string().optional() }),
  z.object({ v: z.literal(1), id: callId, ok: z.literal(false), error: serializedErrorSchema, fp: z.string().optional() }),
]);

export function encodeCall(call: Omit<CallEnvelope, 'v'>): string {
  // Field order matters: v and id first (see the note at the top of this file).
  const { id, ...rest } = call;
  return JSON.stringify({ v: PROTOCOL_VERSION, id, ...rest });
}

export function encodeReply(reply: Omit<OkReply, 'v'> | Omit<ErrReply, 'v'>): string {
  const { id, ...rest } = reply;
  return JSON.stringify({ v: PROTOCOL_VERSION, id, ...rest });
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
  const parsed = callSchema.safeParse(json.value);
  if (parsed.success) {
    const value = parsed.data as CallEnvelope;
    // The scripts read the id by a prefix match (take-8.lua counts deliveries and drops cancelled
    // calls by it): a call written any other way (fields reordered, spaces, an escaped id) would
    // run uncounted, and a poison call in that form would crash workers forever.
    if (raw.startsWith(`{"v":1,"id":"${value.id}"`)) return { ok: true, value };
    return { ok: false, reason: 'bad envelope: it must begin with {"v":1,"id":"<call id>"', id: value.id, reply: value.reply };
  }
  const reason = `bad envelope: ${z.prettifyError(parsed.error).replace(/\s+/g, ' ').slice(0, 500)}`;
  // Salvage id and reply target so a caller is told instead of timing out.
  const loose = z.object({ id: callId, reply: callSchema.shape.reply.unwrap() }).safeParse(json.value);
  return loose.success ? { ok: false, reason, id: loose.data.id, reply: loose.data.reply } : { ok: false, reason };
}

export function decodeReply(raw: string): Decoded<ReplyEnvelope> {
  const json = parseJson(raw);
  if (!json.ok) return json;
  const parsed = replySchema.safeParse(json.value);
  if (parsed.success) return { ok: true, value: parsed.data as ReplyEnvelope };
  return { ok: false, reason: `bad reply: ${z.prettifyError(parsed.error).replace(/\s+/g, ' ').slice(0, 500)}` };
}

export function replyError(reply: ErrReply, deserializeData: (data: unknown) => unknown): TaskwireError<string, unknown> {
  const data = reply.error.data === undefined ? undefined : deserializeData(reply.error.data);
  return errorFromJSON({ ...reply.error, data });
}
