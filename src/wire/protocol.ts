/**
 * The protocol's rules, written once: version, the envelope prefix the scripts match, defaults
 * both ends must agree on, and limits. Client, worker and admin read them from here; the Lua
 * side has the envelope prefix in transport/lua/include/envelope.lua
 * (test/transport/shared-fragments.test.ts holds the two to each other). docs/PROTOCOL.md
 * describes them for people.
 */

/** The `v` of every envelope. A change an older peer cannot read bumps it (docs/PROTOCOL.md, *Versions*). */
export const PROTOCOL_VERSION = 1;

/**
 * What every call and reply envelope begins with, followed by the call id and `"`. Scripts read
 * the id with this prefix match instead of parsing JSON (take counts deliveries by it, complete
 * copies replies by it); ids never contain `"` or `\`.
 */
export const ENVELOPE_PREFIX = `{"v":${PROTOCOL_VERSION},"id":"`;

/**
 * What scripts write after `ENVELOPE_PREFIX + <call id>` as the CANCELLED outcome of a call that
 * never ran: to the callers that joined a withdrawn idempotent call (withdraw-7.lua), and to the
 * followers of a detached call a take dropped (take-screen.lua). Their Lua twins are in
 * lua/include/envelope.lua. With signing on, clients and workers hand the scripts these tails
 * signed (Signer.signReplyTail): a reply's signature leaves its call id out, so one serves all.
 */
export const UNRUN_REPLY_TAILS = {
  joinedWithdrawn: '","ok":false,"error":{"code":"CANCELLED","message":"the call this one joined (same idempotency key) was withdrawn before it ran: send it again","defined":false}}',
  cancelledUnrun: '","ok":false,"error":{"code":"CANCELLED","message":"the call was cancelled before it ran","defined":false}}',
} as const;

/** The call id of an envelope, read by its prefix (no JSON parse); undefined when it has none. */
export function envelopeId(raw: string): string | undefined {
  if (!raw.startsWith(ENVELOPE_PREFIX)) return undefined;
  const end = raw.indexOf('"', ENVELOPE_PREFIX.length);
  return end > ENVELOPE_PREFIX.length ? raw.slice(ENVELOPE_PREFIX.length, end) : undefined;
}

const ROUTE_HEAD = '^\\{"v":1,"id":"[^"]+","task":"([^"]+)"(?:,"priority":(\\d+))?(?:,"group":"([^"]+)")?';
const ROUTE = new RegExp(ROUTE_HEAD);

/**
 * The task, priority and group an envelope's head names, read as the scripts read them
 * (lua/include/route.lua): by a prefix match, never inside the input. Undefined fields are absent.
 */
export function envelopeRoute(raw: string): { task?: string; priority?: number; group?: string } {
  const m = ROUTE.exec(raw);
  if (!m) return {};
  return { task: m[1], ...(m[2] === undefined ? {} : { priority: Number(m[2]) }), ...(m[3] === undefined ? {} : { group: m[3] }) };
}

/** Defaults shared by clients, workers and admin: where two must agree, both read them here. */
export const DEFAULTS = {
  /** Key prefix of every key and channel. */
  prefix: 'tw',
  /** Deadline of a call whose call, task and client set none. */
  timeoutMs: 30_000,
  /** Largest serialized call (client) or message and result (worker). */
  maxPayloadBytes: 4 * 1024 * 1024,
  /** How long an unread reply is kept for a caller that reconnects. */
  replyTtlMs: 60_000,
  /** A worker whose heartbeat is older than this counts as gone (NO_WORKERS, recovery). */
  workerTtlMs: 10_000,
  /** How long the result of an idempotent call is kept, unless the call says. */
  idempotencyTtlMs: 60 * 60_000,
  /**
   * How long a client's inbox list outlives the last reply pushed on it: workers (and the
   * idempotency path of enqueue) renew it, so an inbox of a client that is gone disappears.
   */
  inboxTtlMs: 5 * 60_000,
  /**
   * Aging of prioritized calls: a call of priority p sent at t is due at t + p x this, and a due
   * call is taken before any call without priority still waiting. So under a steady flood of more
   * urgent calls one of priority p waits about p x priorityAgingMs at most (docs/SCHEDULING.md).
   */
  priorityAgingMs: 1_000,
  /** How long a detached call's outcome is kept for whoever follows it (docs/WORKFLOWS.md). */
  resultTtlMs: 24 * 60 * 60_000,
  /** A worker sends at most one progress report per call per this many ms (the latest wins). */
  progressIntervalMs: 100,
} as const;

/**
 * Calls whose envelope is at least this many bytes (UTF-8) keep their input outside it, in a
 * key of their own (`QueueKeys.input`), and the envelope says `"stored":1` instead of carrying
 * `input`; the same for results (`QueueKeys.output`, the reply says `"stored":"<lease token>"`),
 * except those of calls with an idempotency key, which are copied to later callers by Lua. Every
 * string that enters a Lua script is hashed byte by byte (Redis' Lua, deps/lua/src/lstring.c,
 * hashes with step 1) and copied again by each write: a 1 MB envelope cost ~9 ms of Redis per
 * call through enqueue, take and complete, against ~4 ms for BullMQ (issue 5). A plain SET and
 * GETRANGE move the input without Lua ever seeing it. A/B at 100 in flight: 10 KB inputs +38%
 * calls/s (Redis 83 → 41 µs per call); 3 KB +9% but more CPU in all (the extra commands), so
 * the line sits between.
 */
export const STORED_PAYLOAD_BYTES = 8 * 1024;

/** Whether a JSON text is STORED_PAYLOAD_BYTES or more in UTF-8 (Lua's cost is per byte, not per character). */
export function isStoredSize(text: string): boolean {
  // A string's UTF-8 size is between its length and 3x its length: only in between is it counted.
  if (text.length >= STORED_PAYLOAD_BYTES) return true;
  return text.length * 3 >= STORED_PAYLOAD_BYTES && Buffer.byteLength(text) >= STORED_PAYLOAD_BYTES;
}

/**
 * A stored input outlives its call's deadline by this much (the key is written with PX timeout +
 * grace): enough for clocks a little apart, while an input nobody will read still goes away.
 */
export const STORED_INPUT_GRACE_MS = 60_000;

export { GROUP_NAME, MAX_PRIORITY } from '../contract/flow-control.js';

