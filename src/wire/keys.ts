/**
 * Every Redis key and channel taskwire uses, built in one place. All keys of one queue share the
 * hash tag `{<queue>}`, so each Lua script touches a single slot and the layout works unchanged
 * on Redis Cluster (one queue lives on one shard; a partitioned queue is several queues, one
 * per partition, each its own hash tag: docs/PARTITIONS.md).
 */

import { queueNameProblem } from '../contract/names.js';
import { partitionQueue } from '../contract/partitions.js';

/** Refuses a queue name that would break the `{queue}` hash tag; the rule lives with the contract. */
export function assertQueueName(queue: string): void {
  const problem = queueNameProblem(queue);
  if (problem !== undefined) throw new TypeError(`invalid queue name ${JSON.stringify(queue)}: ${problem}`);
}

export interface QueueKeys {
  readonly queue: string;
  /**
   * The queue as callers and operators name it: for partition `images#2` of a partitioned queue,
   * `images` (docs/PARTITIONS.md); else the queue itself.
   */
  readonly logical: string;
  /** Its index among its queue's partitions; undefined for a queue that is not partitioned. */
  readonly partition: number | undefined;
  /** Hash-tagged base, `<prefix>:{<queue>}`. */
  readonly base: string;
  /** LIST of call envelopes waiting to run (RPUSH in, LPOP out). */
  readonly wait: string;
  /**
   * ZSET batch id → lease expiry (ms, Redis clock): one lease per taken batch (take-11.lua); the
   * batch's envelopes are on `batch(id)`.
   */
  readonly batches: string;
  /** LIST of one taken batch's envelopes in token order ('' for a call settled alone); lua keys.lua builds it too. */
  batch(id: string): string;
  /** ZSET lease token → lease expiry, of calls leased one by one (an older worker's; maintain-11 still recovers them). */
  readonly active: string;
  /** HASH lease token → raw envelope, of calls leased one by one (an older worker's). */
  readonly bodies: string;
  /** HASH call id → deliveries so far. */
  readonly deliveries: string;
  /** STRING counter issuing lease tokens. */
  readonly seq: string;
  /** STREAM of dead letters (reason, envelope, error, attempts, time). */
  readonly dead: string;
  /** ZSET raw envelope → when it is due (a delayed call, a retry in backoff). */
  readonly delayed: string;
  /** ZSET raw envelope → when it is due, of prioritized calls (priority aging, route.lua). */
  readonly prio: string;
  /** LIST the ring of fair groups that have calls waiting (take-sources.lua takes round-robin). */
  readonly groups: string;
  /**
   * ZSET limit scope → when the calls set aside over that scope's limit are looked at again; the
   * calls wait in `held:<scope>`, starts in `rate:<scope>`, slots in `running:<scope>`
   * (take-limits.lua builds those from `base`; scope = `task:<path>` or `group:<name>`).
   */
  readonly held: string;
  /** ZSET worker id → last heartbeat (ms, Redis clock). */
  readonly workers: string;
  /** ZSET call id → deadline, of calls their caller cancelled after a worker took them. */
  readonly cancelled: string;
  /**
   * STRING JSON info record of one worker serving this queue (wire/worker-info.ts): host, pid,
   * version, tasks, throughput. PX workerTtlMs, rewritten each maintenance tick.
   */
  worker(workerId: string): string;
  /**
   * STRING JSON schema record of one task version (wire/task-schema-record.ts), named by its
   * digest; workers serving it rewrite it every minute with a TTL of ten minutes.
   */
  schema(digest: string): string;
  /**
   * LIST holding a token while a source list may have work: parked workers block on it (BLPOP)
   * instead of on one source list, so several sources (priorities, groups, partitions) can wake
   * them. Whoever adds calls adds a token; a take that leaves work behind adds one back.
   */
  readonly marker: string;
  /**
   * HASH schedule id → schedule record (JSON, wire/schedule-record.ts) of the queue's recurring
   * calls; `ticks` holds when each fires next. Both are written together by one script.
   */
  readonly schedules: string;
  /** ZSET schedule id → its next tick (ms since epoch); workers fire what is due (schedule-fire-6.lua). */
  readonly ticks: string;
  /** PUB/SUB channel announcing cancelled call ids to the queue's workers. */
  readonly cancelChannel: string;
  /**
   * PUB/SUB channel on which an upsert tells the queue's workers that a schedule changed, so a
   * new schedule's first tick fires on time rather than at a worker's next check.
   */
  readonly scheduleChannel: string;
  /** LIST of one fair group's waiting calls; route.lua builds it from `base` the same way. */
  group(name: string): string;
  // complete-4.lua builds replies and inbox keys from `base` the same way (not sent per call).
  /**
   * HASH call id → reply, for one client (wire reply mode `hash`): each reply stays here until
   * the client has read it from its inbox, so a BLMPOP answer lost with a connection loses
   * nothing (the client's sweep reads the hash after a reconnect). One HSET per settled batch
   * instead of a key per call; PEXPIRE replyTtlMs from its last write.
   */
  replies(clientId: string): string;
  /** STRING marker that a call was enqueued, until its deadline (a re-sent enqueue is a no-op). */
  enqueued(callId: string): string;
  /** LIST of replies (reply envelopes) ready for one client. */
  inbox(clientId: string): string;
  /**
   * HASH of a detached call's progress: state (waiting, delayed, running), task, attempt,
   * progress, at; its outcome is the result of the idempotency key `run:<id>` (docs/WORKFLOWS.md).
   */
  run(callId: string): string;
  /** The idempotency key (`idempotency(`run:<id>`)`) under which a detached call keeps its outcome. */
  runIdempotency(callId: string): string;
  /**
   * Sharded pub/sub channel (SPUBLISH/SSUBSCRIBE) of one client's replies and progress reports
   * from this queue: it lives on the queue's shard, so a reply reaches one node, not all.
   */
  replyChannel(clientId: string): string;
  /** Sharded pub/sub channel of the completion events of `task` (a task of this queue), on its shard. */
  eventChannel(task: string): string;
  /** Sharded pub/sub channel where a new listener of a task of this queue tells its workers. */
  readonly eventWatch: string;
  /** LIST: what worker `id` may hold (`b<batch id>` entries): its leases come back as soon as its heartbeat stops (maintain-11.lua). */
  leases(workerId: string): string;
  /** STRING call id owning an idempotency key (companions: `:result`, `:waiters`). */
  idempotency(key: string): string;
  /** STRING serialized input of a call sent with `"stored":1` (see protocol.ts STORED_PAYLOAD_BYTES). */
  // complete-4.lua builds it from `base` the same way.
  input(callId: string): string;
  /**
   * STRING serialized output of a call, written under the worker's lease token (a worker that
   * lost its lease never overwrites the output of the one that holds it), read and deleted by
   * the caller with GET, then UNLINK; PX replyTtlMs.
   */
  output(callId: string, token: string): string;
}

/**
 * STRING the number of partitions of a partitioned queue, `<prefix>:{<queue>}:partitions`
 * (docs/PARTITIONS.md): written by its workers so that the admin, the CLI and the dashboard show
 * `<queue>#0` … as one queue. Only this key lives under the unpartitioned name.
 */
export function partitionsKey(prefix: string, queue: string): string {
  assertQueueName(queue);
  return `${prefix}:{${queue}}:partitions`;
}

/** The idempotency key prefix of detached calls: `run:<id>` keeps a detached call's outcome. */
export const RUN_KEY = 'run:';

/**
 * The keys a queue's calls live under: the queue's own, or, for a queue declared with
 * `partitions` (undefined: not partitioned), each partition's in index order.
 */
export function queueKeysOf(prefix: string, queue: string, partitions: number | undefined): QueueKeys[] {
  return partitions === undefined ? [queueKeys(prefix, queue)] : Array.from({ length: partitions }, (_, i) => queueKeys(prefix, queue, i));
}

/**
 * The keys of `queue`; with `partition`, of that partition of `queue` (the queue
 * `<queue>#<partition>`, its own hash tag).
 */
export function queueKeys(prefix: string, queue: string, partition?: number): QueueKeys {
  const name = partition === undefined ? queue : partitionQueue(queue, partition);
  assertQueueName(name);
  const base = `${prefix}:{${name}}`;
  return {
    queue: name,
    logical: queue,
    partition,
    base,
    wait: `${base}:wait`,
    batches: `${base}:batches`,
    batch: (id) => `${base}:batch:${id}`,
    active: `${base}:active`,
    bodies: `${base}:bodies`,
    deliveries: `${base}:deliveries`,
    seq: `${base}:seq`,
    dead: `${base}:dead`,
    delayed: `${base}:delayed`,
    workers: `${base}:workers`,
    cancelled: `${base}:cancelled`,
    worker: (workerId) => `${base}:worker:${workerId}`,
    schema: (digest) => `${base}:schema:${digest}`,
    marker: `${base}:marker`,
    prio: `${base}:prio`,
    groups: `${base}:groups`,
    held: `${base}:held`,
    schedules: `${base}:schedules`,
    ticks: `${base}:ticks`,
    group: (name) => `${base}:group:${name}`,
    cancelChannel: `${base}:cancel`,
    scheduleChannel: `${base}:rescheduled`,
    replies: (clientId) => `${base}:replies:${clientId}`,
    enqueued: (callId) => `${base}:enq:${callId}`,
    inbox: (clientId) => `${base}:inbox:${clientId}`,
    idempotency: (key) => `${base}:idem:${key}`,
    runIdempotency: (callId) => `${base}:idem:${RUN_KEY}${callId}`,
    leases: (workerId) => `${base}:leases:${workerId}`,
    replyChannel: (clientId) => `${base}:reply:${clientId}`,
    eventChannel: (task) => `${base}:events:${task}`,
    eventWatch: `${base}:events:watch`,
    run: (callId) => `${base}:run:${callId}`,
    input: (callId) => `${base}:input:${callId}`,
    output: (callId, token) => `${base}:output:${callId}:${token}`,
  };
}

/** PUB/SUB channel on which workers publish replies for one client (pub/sub reply mode). */
export function replyChannel(prefix: string, clientId: string): string {
  return `${replyChannelPrefix(prefix)}${clientId}`;
}

/** What every reply channel begins with; complete-4.lua appends the client id. */
export function replyChannelPrefix(prefix: string): string {
  return `${prefix}:reply:`;
}

/**
 * Completion events (docs/WORKFLOWS.md, *Events*): workers publish a task's completions on
 * its channel only while someone watches it, which `watching` says: a ZSET of
 * `<task path>\n<listener id>` → until when (ms, the listener's clock), renewed while it
 * listens. `watch` tells workers to read it again at once. Not queue keys: a watcher of a task
 * does not know its queue's shard, and these are one key and two channels per prefix.
 */
export function eventKeys(prefix: string): { watching: string; watch: string; channel(task: string): string } {
  return {
    watching: `${prefix}:events:watching`,
    watch: `${prefix}:events:watch`,
    channel: (task) => `${prefix}:events:${task}`,
  };
}
