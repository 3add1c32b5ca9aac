import type { QueueKeys } from '../wire/keys.js';
import type { Connection } from './connection.js';
import { runScript, type ScriptArg } from './scripts.js';

/**
 * The one module that moves calls between a queue's structures (docs/PROTOCOL.md, *Keys*):
 * enqueue, park, take, complete, extend, maintain, release, withdraw, replay and counts, each
 * with a typed request. Client, worker and admin never issue a list or hash command on a queue
 * key themselves; stored payloads, reply inboxes and dead letters have stores of their own
 * beside this one (payload-store.ts, reply-store.ts, dead-letter-store.ts).
 */

export interface EnqueueRequest {
  raw: string;
  callId: string;
  /** A heartbeat younger than this is needed (NO_WORKERS otherwise); 0 skips the check. */
  workerTtlMs: number;
  /** The idempotency key (`QueueKeys.idempotency`), '' for none. */
  idem: string;
  idemTtlMs: number;
  /** Where the call wants its reply if it is answered from an earlier call's result: see deliver.lua. */
  replySpec: string;
  replyTtlMs: number;
  inboxTtlMs: number;
  /** How long a re-sent enqueue of this call is recognised (its timeout). */
  sentTtlMs: number;
  /** Hash of the call's task and input ('' skips the check): the key's owner must have the same. */
  inputHash: string;
}

/**
 * What an enqueue answered: the wait list's length (> 0), 0 for a re-sent command, -1 NO_WORKERS,
 * -2 joined an earlier call with the same idempotency key, -3 answered from its stored result,
 * -4 the key is held by a call with another input.
 */
export type EnqueueResult = number;

export interface EnqueueBatchRequest {
  /** Names the batch's sent marker, so a re-sent batch is recognised. */
  batchId: string;
  workerTtlMs: number;
  sentTtlMs: number;
  raws: readonly string[];
}

/** Calls delivered `from` times or more without being settled are suspects; see take-quarantine.lua. */
export interface SuspectRule {
  from: number;
  /** This worker runs no suspect now, so it may take one. */
  mayTake: boolean;
}

export interface TakeRequest {
  max: number;
  leaseMs: number;
  maxBytes: number;
  deadMaxLen: number;
  suspects: SuspectRule;
}

export interface TakenCall {
  token: string;
  raw: string;
  deliveries: number;
}

export interface Taken {
  calls: TakenCall[];
  /** A suspect this worker may not take now stopped the take: wait for its own suspect to end. */
  blocked: boolean;
}

/** One settlement in a `complete` batch; see complete-5.lua for the meaning of each field. */
export interface Settlement {
  token: string;
  callId: string;
  action: 'h' | 'p' | '-' | 'r';
  /** The calling client's id ('h', 'p'), the retry delay in ms ('r'), else ''. */
  to: string;
  payload: string;
  deadReason: string;
  /** Idempotency key name ('' for none) and how long its result is kept. */
  idem: string;
  idemTtlMs: number;
  /**
   * '' when the call carried its input; for a stored input (protocol.ts), which is deleted now,
   * '-' or, for a dead letter, the input's text to keep in it. Never set on a retry.
   */
  input: string;
}

/** Per-worker settings of `complete`, the same for every batch. */
export interface CompleteOptions {
  inboxTtlMs: number;
  deadMaxLen: number;
  replyTtlMs: number;
  /** `<prefix>:reply:`, see replyChannelPrefix. */
  channelPrefix: string;
}

export interface MaintainRequest {
  workerId: string;
  workerTtlMs: number;
  /** Most items moved per kind in one run. */
  limit: number;
  /** false when the worker leaves: its heartbeat is removed instead of renewed. */
  alive: boolean;
}

export interface MaintainResult {
  requeued: number;
  gone: number;
  promoted: number;
}

export interface WithdrawRequest {
  raw: string;
  callId: string;
  deadline: number;
  /** Tell the workers when the call is no longer waiting (a cancel), or not (a timeout). */
  announce: boolean;
}

/** Withdrawn from the wait list, announced to the workers, or neither. */
export type WithdrawResult = 'withdrawn' | 'announced' | 'gone';

export interface QueueCounts {
  waiting: number;
  running: number;
  delayed: number;
  dead: number;
  /** Workers that sent a heartbeat within the last `workerTtlMs`. */
  workers: number;
}

export class QueueStore {
  readonly #redis: Connection;

  constructor(redis: Connection) {
    this.#redis = redis;
  }

  async enqueue(k: QueueKeys, r: EnqueueRequest): Promise<EnqueueResult> {
    const args = [r.raw, r.workerTtlMs, r.idem, r.idemTtlMs, r.callId, r.replySpec, r.replyTtlMs, r.inboxTtlMs, r.sentTtlMs, r.inputHash];
    return Number(await runScript(this.#redis, 'enqueue', [k.wait, k.workers, k.enqueued(r.callId), k.marker], args));
  }

  /** Calls without idempotency keys, many per round trip; see enqueue-batch-4.lua. Answers as enqueue. */
  async enqueueBatch(k: QueueKeys, r: EnqueueBatchRequest): Promise<EnqueueResult> {
    const keys = [k.wait, k.workers, k.enqueued(`batch:${r.batchId}`), k.marker];
    return Number(await runScript(this.#redis, 'enqueueBatch', keys, [r.workerTtlMs, r.sentTtlMs, ...r.raws]));
  }

  /**
   * Blocks until the queue's marker says there may be work, or `seconds` pass (on a connection
   * of its own). Moves no call, so a worker that dies here loses nothing.
   */
  park(k: QueueKeys, seconds: number): Promise<unknown> {
    return this.#redis.blpop(k.marker, seconds);
  }

  async take(k: QueueKeys, r: TakeRequest): Promise<Taken> {
    const options = JSON.stringify({
      max: r.max,
      leaseMs: r.leaseMs,
      maxBytes: r.maxBytes,
      deadMaxLen: r.deadMaxLen,
      suspectFrom: r.suspects.from,
      maySuspect: r.suspects.mayTake,
      base: k.base,
    });
    const keys = [k.wait, k.marker, k.active, k.bodies, k.deliveries, k.seq, k.dead, k.cancelled];
    const flat = (await runScript(this.#redis, 'take', keys, [options])) as Array<string | number>;
    const calls: TakenCall[] = [];
    // Tokens are consecutive: the script returns the one before the first.
    const before = Number(flat[1]);
    for (let i = 2, j = 1; i + 1 < flat.length; i += 2, j++) {
      calls.push({ token: String(before + j), raw: String(flat[i]), deliveries: Number(flat[i + 1]) });
    }
    return { calls, blocked: Number(flat[0]) === 1 };
  }

  /** 1 (settled) or 0 (lease lost, result dropped) per item; see complete-5.lua. */
  async complete(k: QueueKeys, items: readonly Settlement[], o: CompleteOptions): Promise<number[]> {
    const args: ScriptArg[] = [o.inboxTtlMs, o.deadMaxLen, o.replyTtlMs, k.base, o.channelPrefix];
    // Five arguments per call; the four optional ones only when set (see complete-5.lua).
    for (const s of items) {
      if (s.deadReason === '' && s.idem === '' && s.input === '') args.push(s.token, s.callId, s.action, s.to, s.payload);
      else args.push(s.token, s.callId, `${s.action}x`, s.to, s.payload, s.deadReason, s.idem, s.idemTtlMs, s.input);
    }
    const res = (await runScript(this.#redis, 'complete', [k.active, k.bodies, k.deliveries, k.dead, k.delayed], args)) as number[];
    return res.map(Number);
  }

  /** Renews leases; answers the tokens whose lease was already gone. */
  async extend(k: QueueKeys, leaseMs: number, tokens: readonly string[]): Promise<string[]> {
    return ((await runScript(this.#redis, 'extend', [k.active], [leaseMs, ...tokens])) as unknown[]).map(String);
  }

  async maintain(k: QueueKeys, r: MaintainRequest): Promise<MaintainResult> {
    const keys = [k.active, k.bodies, k.wait, k.workers, k.delayed, k.cancelled, k.deliveries, k.marker];
    const res = (await runScript(this.#redis, 'maintain', keys, [r.workerId, r.workerTtlMs, r.limit, r.alive ? '1' : '0'])) as number[];
    return { requeued: Number(res[0]), gone: Number(res[1]), promoted: Number(res[2]) };
  }

  /** Hands leased calls back to the head of the queue, uncounted; answers how many went back. */
  async release(k: QueueKeys, tokens: readonly string[]): Promise<number> {
    return Number(await runScript(this.#redis, 'release', [k.active, k.bodies, k.wait, k.marker], tokens));
  }

  /** Takes a call its caller stopped waiting for off the queue, atomically; see withdraw-4.lua. */
  async withdraw(k: QueueKeys, r: WithdrawRequest): Promise<WithdrawResult> {
    const keys = [k.wait, k.cancelled, k.deliveries, k.input(r.callId)];
    const res = Number(await runScript(this.#redis, 'withdraw', keys, [r.raw, r.callId, r.deadline, k.cancelChannel, r.announce ? '1' : '0']));
    return res === 1 ? 'withdrawn' : res === 0 ? 'announced' : 'gone';
  }

  /** Puts a dead letter back on its queue exactly once; false if it was gone. */
  async replay(k: QueueKeys, entryId: string, raw: string): Promise<boolean> {
    return Number(await runScript(this.#redis, 'replay', [k.dead, k.wait, k.marker], [entryId, raw])) === 1;
  }

  async counts(k: QueueKeys, workerTtlMs: number): Promise<QueueCounts> {
    const time = await this.#redis.time();
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    const [waiting, running, delayed, dead, workers] = await Promise.all([
      this.#redis.llen(k.wait),
      this.#redis.zcard(k.active),
      this.#redis.zcard(k.delayed),
      this.#redis.xlen(k.dead),
      this.#redis.zcount(k.workers, now - workerTtlMs, '+inf'),
    ]);
    return { waiting, running, delayed, dead, workers };
  }
}
