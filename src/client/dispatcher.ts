import { ERROR_CODES, isTaskwireError, TaskwireError } from '../errors.js';
import type { ConnectionHealth } from '../transport/connection-health.js';
import type { EnqueueRequest, EnqueueResult, QueueStore } from '../transport/queue-store.js';
import { replyChannel } from '../wire/keys.js';
import { DEFAULTS } from '../wire/protocol.js';
import { enqueueRefusal } from './enqueue-refusal.js';
import type { EnqueueBatcher } from './enqueue-batcher.js';
import type { PendingCall, PendingCalls } from './pending-calls.js';
import type { ReplyReceivers } from './reply-receivers.js';
import type { StoredPayloads } from './stored-payloads.js';
import type { FollowUpIds } from './types.js';

/** A detached call once Redis has it: its id, and its envelope and place, for a cancel. */
export interface Sent {
  id: string;
  raw: string;
  deadline: number;
  group: string | undefined;
  /** The ids its follow-ups will have (when it names them). */
  followUps: FollowUpIds;
  /** How long its outcome is kept. */
  resultTtlMs: number;
  /** The queue it went to: its partition's, for a partitioned queue. */
  queue: string;
}

/** A call the caller has planned (validated, encoded, its queue picked) and registered as pending. */
export interface Outgoing {
  readonly call: PendingCall;
  /** Its idempotency key as given (a detached call's `run:<id>`), undefined for none. */
  readonly idem: string | undefined;
  /** How long the key keeps the call's outcome. */
  readonly idemTtlMs: number;
  /** Set for a detached call: it resolves with a Sent, carrying these follow-up ids, once Redis has it. */
  readonly detached: { followUps: FollowUpIds } | undefined;
  /** An input too large for the envelope, written beside it before the enqueue (stored-payloads.ts). */
  readonly storedInput: string | undefined;
  readonly inputHash: string | undefined;
  readonly delayMs: number;
  /** A delay, a priority or a group: batched with calls like it, which the script routes. */
  readonly routed: boolean;
  /** A heartbeat younger than this is needed (NO_WORKERS otherwise); 0 skips the check. */
  readonly workerTtlMs: number;
  /** Called once Redis accepted it (the interceptors' `sent`). */
  readonly onSent: (() => void) | undefined;
}

export interface DispatcherDeps {
  store: QueueStore;
  batcher: EnqueueBatcher;
  stored: StoredPayloads;
  receivers: ReplyReceivers;
  pending: PendingCalls;
  health: ConnectionHealth;
  clientId: string;
  prefix: string;
  /** Pub/sub replies on the queue's shard channel (ClientOptions.shardedPubSub). */
  sharded: boolean;
  replyTtlMs: number;
  agingMs: number;
}

/**
 * Gets a planned call into Redis and settles what the enqueue itself decides: batched with
 * other calls unless it has an idempotency key, its large input written first, and a pub/sub
 * call's first SUBSCRIBE awaited; refusals (NO_WORKERS, IDEMPOTENCY_CONFLICT), replication
 * short of the durability option and Redis errors reject it. The reply settles it later.
 */
export class Dispatcher {
  readonly #d: DispatcherDeps;

  constructor(deps: DispatcherDeps) {
    this.#d = deps;
  }

  dispatch(o: Outgoing): void {
    const d = this.#d;
    const { call } = o;
    const { id, keys, mode } = call;
    const path = call.route.path;
    const enqueued = (res: EnqueueResult) => {
      call.enqueued = true;
      // Refused (no worker), or answered from an earlier call's idempotent result: nobody reads it.
      if (call.stored && res < 0) d.stored.dropInput(keys, id);
      const refused = res < 0 ? enqueueRefusal(res, call.route, keys, o.idem) : undefined;
      if (refused) d.pending.reject(id, refused);
      else {
        o.onSent?.();
        // Its outcome is kept in Redis; nobody here waits for it.
        if (o.detached) d.pending.resolve(id, { id, raw: call.raw, deadline: call.deadline, group: call.group, followUps: o.detached.followUps, resultTtlMs: o.idemTtlMs, queue: keys.queue } satisfies Sent);
      }
    };
    const failed = (err: unknown) => {
      // Sent, but not confirmed by enough replicas before its deadline (durability.ts): said as such.
      if (isTaskwireError(err) && err.code === ERROR_CODES.NOT_REPLICATED) {
        call.enqueued = true;
        d.pending.reject(id, new TaskwireError(err.code, `${path}: ${err.message}`, { data: { task: path, ...(err.data as object) }, cause: err }));
        return;
      }
      d.pending.reject(id, d.health.connectionError(`could not send ${path}`, err, { task: path }));
    };
    const enqueueNow = () => {
      if (o.idem === undefined) {
        if (!o.routed) return d.batcher.enqueue(keys, call.raw, o.workerTtlMs, call.timeoutMs, enqueued, failed);
        return d.batcher.enqueueRouted(keys, call.raw, o.delayMs, o.workerTtlMs, o.delayMs + call.timeoutMs, d.agingMs, enqueued, failed);
      }
      d.store.enqueue(keys, this.#keyed(o, o.idem)).then(enqueued, failed);
    };
    // The enqueue waits for the SET: a call whose input Redis refused (OOM, say) must not be
    // queued, nor one that timed out or was cancelled meanwhile (its input goes again).
    const input = o.storedInput;
    const enqueue = input !== undefined
      ? () => {
          // Settled meanwhile (closed, cancelled, timed out while a first pub/sub call subscribed).
          if (!d.pending.get(id)) return;
          d.stored.writeInput(keys, id, input, call.timeoutMs).then(() => (d.pending.get(id) ? enqueueNow() : d.stored.dropInput(keys, id)), failed);
        }
      : enqueueNow;
    if (mode === 'key' && !o.detached) d.receivers.keyModeCall();
    if (o.detached || (mode === 'key' && !call.onProgress)) return enqueue();
    // Pub/sub replies (and progress reports) are only heard once subscribed: the first call waits for the SUBSCRIBE.
    const subscribed = d.receivers.pubsubReady(keys);
    if (subscribed === true) return enqueue();
    subscribed.then(enqueue, failed);
  }

  /** The enqueue of a call with an idempotency key (or a detached call's run key): one script call of its own. */
  #keyed(o: Outgoing, idem: string): EnqueueRequest {
    const { call } = o;
    const { keys, id } = call;
    const d = this.#d;
    const detached = o.detached !== undefined;
    const replySpec = detached
      ? '-'
      : call.mode === 'pubsub'
        ? d.sharded ? `s|${keys.replyChannel(d.clientId)}` : `p|${replyChannel(d.prefix, d.clientId)}`
        : `h|${keys.replies(d.clientId)}|${keys.inbox(d.clientId)}`;
    return {
      raw: call.raw,
      workerTtlMs: o.workerTtlMs,
      callId: id,
      idem: keys.idempotency(idem),
      // Until it settles, a detached call's key lives at least as long as it could still run
      // (delay, deadline, a minute): a short resultTtlMs must not make a queued call unknown.
      // Its outcome is then kept resultTtlMs (the envelope's idemTtl).
      idemTtlMs: detached ? Math.max(o.idemTtlMs, o.delayMs + call.timeoutMs + 60_000) : o.idemTtlMs,
      replySpec,
      replyTtlMs: d.replyTtlMs,
      inboxTtlMs: DEFAULTS.inboxTtlMs,
      sentTtlMs: o.delayMs + call.timeoutMs,
      inputHash: o.inputHash ?? '',
      delayMs: o.delayMs,
      agingMs: d.agingMs,
      statusKey: detached ? keys.run(id) : '',
    };
  }
}
