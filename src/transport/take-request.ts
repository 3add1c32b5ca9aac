/**
 * What a worker asks of a take and what it gets back (QueueStore.take, take-11.lua): the
 * batch's size, lease and limits in, the leased calls out.
 */

/** Calls delivered `from` times or more without being settled are suspects; see take-quarantine.lua. */
export interface SuspectRule {
  from: number;
  /** This worker runs no suspect now, so it may take one. */
  mayTake: boolean;
}

/** A rate limit and/or a concurrency limit (take-limits.lua). */
export interface LimitRule {
  max?: number;
  perMs?: number;
  concurrency?: number;
}

/** The limits of a queue's tasks, and the limit every fair group has, if any. */
export interface TakeLimits {
  tasks?: Record<string, LimitRule>;
  group?: LimitRule;
}

export interface TakeRequest {
  max: number;
  /** The taking worker's id: recorded per lease, so its leases come back as soon as its heartbeat stops. */
  workerId?: string;
  /** With signing: the signed reply tail a detached call dropped unrun gets (protocol.ts UNRUN_REPLY_TAILS). */
  cancelledReply?: string | undefined;
  /** Rate and concurrency limits; absent when the queue has none (then a take pays nothing for them). */
  limits?: TakeLimits | undefined;
  /** Priority aging, for calls a take routes (due delayed calls, calls handed back). */
  agingMs?: number;
  leaseMs: number;
  maxBytes: number;
  deadMaxLen: number;
  suspects: SuspectRule;
}

export interface TakenCall {
  token: string;
  /** The id of the batch the call was leased in (take-11.lua): one lease, renewed and ended per batch. */
  batch: string;
  raw: string;
  deliveries: number;
}

export interface Taken {
  calls: TakenCall[];
  /** A suspect this worker may not take now stopped the take: wait for its own suspect to end. */
  blocked: boolean;
  /** Ms until the queue's next delayed call is due or a limit's window opens, or -1: a parked worker waits no longer. */
  nextDueMs: number;
}
