/**
 * Every Redis key and channel taskwire uses, built in one place. All keys of one queue share the
 * hash tag `{<queue>}`, so each Lua script touches a single slot and the layout works unchanged
 * on Redis Cluster (one queue lives on one shard; spreading a hot task over shards means
 * several queues, see docs/ARCHITECTURE.md).
 */

import { queueNameProblem } from '../contract/names.js';

/**
 * How long a client's inbox list outlives the last reply pushed on it: workers (and the
 * idempotency path of enqueue) renew it, so an inbox of a client that is gone disappears.
 */
export const INBOX_TTL_MS = 5 * 60_000;

/**
 * How long the result of an idempotent call is kept, unless the caller says (`idempotencyTtlMs`).
 * Workers fall back to it for an envelope that names a key but no ttl: `SET … PX 0` would fail
 * the whole settle batch it rides in.
 */
export const IDEMPOTENCY_TTL_MS = 60 * 60_000;

/**
 * Calls whose envelope is at least this many bytes (UTF-8) keep their input outside it, in a key of their own
 * (`QueueKeys.input`), and the envelope says `"stored":1` instead of carrying `input`; the same
 * for results (`QueueKeys.output`, the reply says `"stored":"<lease token>"`), except those of
 * calls with an idempotency key, which are copied to later callers by Lua. Every
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

/** Refuses a queue name that would break the `{queue}` hash tag; the rule lives with the contract. */
export function assertQueueName(queue: string): void {
  const problem = queueNameProblem(queue);
  if (problem !== undefined) throw new TypeError(`invalid queue name ${JSON.stringify(queue)}: ${problem}`);
}

export interface QueueKeys {
  readonly queue: string;
  /** Hash-tagged base, `<prefix>:{<queue>}`. */
  readonly base: string;
  /** LIST of call envelopes waiting to run (RPUSH in, LPOP out). */
  readonly wait: string;
  /** ZSET lease token → lease expiry (ms, Redis clock). */
  readonly active: string;
  /** HASH lease token → raw envelope of a running call. */
  readonly bodies: string;
  /** HASH call id → deliveries so far. */
  readonly deliveries: string;
  /** STRING counter issuing lease tokens. */
  readonly seq: string;
  /** STREAM of dead letters (reason, envelope, error, attempts, time). */
  readonly dead: string;
  /** ZSET raw envelope → time it may run again (retry backoff). */
  readonly delayed: string;
  /** ZSET worker id → last heartbeat (ms, Redis clock). */
  readonly workers: string;
  /** ZSET call id → deadline, of calls their caller cancelled after a worker took them. */
  readonly cancelled: string;
  /** Prefix of per-worker claim lists, followed by the worker id. */
  readonly claimPrefix: string;
  /** PUB/SUB channel announcing cancelled call ids to the queue's workers. */
  readonly cancelChannel: string;
  claim(workerId: string): string;
  // complete-5.lua builds replies, reply and inbox keys from `base` the same way (not sent per call).
  /**
   * HASH call id → reply, for one client (wire reply mode `hash`): each reply stays here until
   * the client has read it from its inbox, so a BLMPOP answer lost with a connection loses
   * nothing (the client's sweep reads the hash after a reconnect). One HSET per settled batch
   * instead of a key per call; PEXPIRE replyTtlMs from its last write.
   */
  replies(clientId: string): string;
  /** STRING result of one call (wire reply mode `key`, sent by older clients), PX replyTtlMs. */
  reply(callId: string): string;
  /** STRING marker that a call was enqueued, until its deadline (a re-sent enqueue is a no-op). */
  enqueued(callId: string): string;
  /** LIST of replies (reply envelopes) ready for one client. */
  inbox(clientId: string): string;
  /** STRING call id owning an idempotency key (companions: `:result`, `:waiters`). */
  idempotency(key: string): string;
  /** STRING serialized input of a call sent with `"stored":1` (see STORED_PAYLOAD_BYTES). */
  // complete-5.lua builds it from `base` the same way.
  input(callId: string): string;
  /**
   * STRING serialized output of a call, written under the worker's lease token (a worker that
   * lost its lease never overwrites the output of the one that holds it), read and deleted by
   * the caller with GET, then UNLINK; PX replyTtlMs.
   */
  output(callId: string, token: string): string;
}

export function queueKeys(prefix: string, queue: string): QueueKeys {
  assertQueueName(queue);
  const base = `${prefix}:{${queue}}`;
  return {
    queue,
    base,
    wait: `${base}:wait`,
    active: `${base}:active`,
    bodies: `${base}:bodies`,
    deliveries: `${base}:deliveries`,
    seq: `${base}:seq`,
    dead: `${base}:dead`,
    delayed: `${base}:delayed`,
    workers: `${base}:workers`,
    cancelled: `${base}:cancelled`,
    claimPrefix: `${base}:claim:`,
    cancelChannel: `${base}:cancel`,
    claim: (workerId) => `${base}:claim:${workerId}`,
    replies: (clientId) => `${base}:replies:${clientId}`,
    reply: (callId) => `${base}:reply:${callId}`,
    enqueued: (callId) => `${base}:enq:${callId}`,
    inbox: (clientId) => `${base}:inbox:${clientId}`,
    idempotency: (key) => `${base}:idem:${key}`,
    input: (callId) => `${base}:input:${callId}`,
    output: (callId, token) => `${base}:output:${callId}:${token}`,
  };
}

/** PUB/SUB channel on which workers publish replies for one client (pub/sub reply mode). */
export function replyChannel(prefix: string, clientId: string): string {
  return `${replyChannelPrefix(prefix)}${clientId}`;
}

/** What every reply channel begins with; complete-5.lua appends the client id. */
export function replyChannelPrefix(prefix: string): string {
  return `${prefix}:reply:`;
}
