import type { QueueKeys } from '../wire/keys.js';
import type { Connection } from './connection.js';
import type { Durability } from './durability.js';
import { runScript, type ScriptArg } from './scripts.js';
import type { Taken, TakenCall, TakeRequest } from './take-request.js';
import { DEFAULTS } from '../wire/protocol.js';

const AGING: number = DEFAULTS.priorityAgingMs;

/**
 * The one module that moves calls between a queue's structures (docs/PROTOCOL.md, *Keys*):
 * enqueue, park, take, complete, extend, maintain, release, withdraw, replay and counts, each
 * with a typed request. Client, worker and admin never issue a list or hash command on a queue
 * key themselves; stored payloads, reply inboxes and dead letters have stores of their own
 * beside this one (payload-store.ts, reply-store.ts, dead-letter-store.ts, run-store.ts).
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
  /** Wait this long before it may run (default 0); where it then waits follows its envelope. */
  delayMs?: number;
  /** Priority aging (default protocol.ts DEFAULTS.priorityAgingMs). */
  agingMs?: number;
  /** A detached call (idempotency key `run:<id>`): its status HASH, written with the enqueue. */
  statusKey?: string;
}

/**
 * What an enqueue answered: > 0 enqueued, 0 for a re-sent command, -1 NO_WORKERS,
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
  /**
   * Each call's delay in ms, in `raws`' order: the calls wait where their envelopes say (a delay,
   * a priority, a group: enqueue-routed-7.lua). Absent: plain calls for the end of the wait list.
   */
  delays?: readonly number[];
  agingMs?: number;
}

/** One settlement in a `complete` batch; see complete-4.lua for the meaning of each field. */
export interface Settlement {
  token: string;
  /** The taken batch the call belongs to (TakenCall.batch). */
  batch: string;
  callId: string;
  action: 'h' | 'p' | 's' | '-' | 'r';
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
  /** The limit scopes whose concurrency slots the call holds, comma-separated, or '' (take-limits.lua). */
  scopes?: string;
}

/**
 * How `complete` treats one taken batch (complete-4.lua): 'w' these are all its calls not settled
 * for sure before (its lease ends in one command), 'p' some of them, 'c' some, checked one by one,
 * and the lease ends if none is left.
 */
export type BatchEnd = 'w' | 'p' | 'c';

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
  agingMs?: number;
  /** The batches this worker holds leases of on the queue now (maintain-11.lua restarts its record with them). */
  held?: readonly string[];
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
  /** Announce with SPUBLISH (sharded pub/sub) rather than PUBLISH. */
  sharded?: boolean;
  /** The call's fair group, if it has one (it waits in that group's list). */
  group?: string | undefined;
  /** The call's task: a call set aside over the task's limit waits under it. */
  task: string;
  /** Its idempotency key (full): deleted with the call if this call owns it. */
  idem?: string | undefined;
  /** With signing: the signed reply tail the callers that joined it get (protocol.ts UNRUN_REPLY_TAILS). */
  joinedReply?: string | undefined;
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
  /** Of `waiting`: calls set aside over a rate or concurrency limit, until their window or a slot opens. */
  limited: number;
  /** Fair groups with calls waiting. */
  groups: number;
  /** Recurring schedules of the queue (they are not calls: no other count includes them). */
  schedules: number;
  /** Of a partitioned queue (its counts are its partitions' summed): how many partitions. */
  partitions?: number;
}

/**
 * A re-sent enqueue answers 0 when its sent marker shows the first arrived: the first answer
 * stands. Any other answer means the first was lost (a failover), and the new one is what holds.
 */
const enqueueAgain = (first: EnqueueResult, again: EnqueueResult): EnqueueResult => (again === 0 ? first : again);

/**
 * A re-sent completion answers 0 for a lease its first run already settled: settled either way.
 * (It also answers 0 if the first was lost and the lease was handed to another worker meanwhile;
 * the call then has another run, whose result is the one delivered.)
 */
const completeAgain = (first: number[], again: number[]): number[] => first.map((f, i) => (f === 1 || again[i] === 1 ? 1 : 0));

/** Re-sent enqueues stop this long before their sent marker expires (after which a re-send would enqueue twice). */
const SENT_MARGIN_MS = 1_000;

export class QueueStore {
  readonly #redis: Connection;
  /** Set with the durability option: enqueues and completions then wait for replicas (durability.ts). */
  readonly #durability: Durability | undefined;
  /** How long a completion is re-sent while replicas do not confirm it (the worker's lease). */
  readonly #completeWithinMs: number;

  constructor(redis: Connection, durability?: { durability: Durability; completeWithinMs: number }) {
    this.#redis = redis;
    this.#durability = durability?.durability;
    this.#completeWithinMs = durability?.completeWithinMs ?? 0;
  }

  async enqueue(k: QueueKeys, r: EnqueueRequest): Promise<EnqueueResult> {
    const args = [r.raw, r.workerTtlMs, r.idem, r.idemTtlMs, r.callId, r.replySpec, r.replyTtlMs, r.inboxTtlMs, r.sentTtlMs, r.inputHash, r.delayMs ?? 0, r.agingMs ?? AGING, k.base, r.statusKey ?? ''];
    const keys = [k.wait, k.workers, k.enqueued(r.callId), k.marker, k.delayed, k.prio, k.groups];
    const send = async () => Number(await runScript(this.#redis, 'enqueue', keys, args));
    if (!this.#durability) return send();
    return this.#durability.write(send, enqueueAgain, Date.now() + r.sentTtlMs - SENT_MARGIN_MS, k.base);
  }

  /** Calls without idempotency keys, many per round trip; see enqueue-batch-4.lua. Answers as enqueue. */
  async enqueueBatch(k: QueueKeys, r: EnqueueBatchRequest): Promise<EnqueueResult> {
    const sent = k.enqueued(`batch:${r.batchId}`);
    const delays = r.delays;
    let send: () => Promise<EnqueueResult>;
    if (!delays) {
      send = async () => Number(await runScript(this.#redis, 'enqueueBatch', [k.wait, k.workers, sent, k.marker], [r.workerTtlMs, r.sentTtlMs, ...r.raws]));
    } else {
      const args: ScriptArg[] = [r.workerTtlMs, r.sentTtlMs, r.agingMs ?? AGING, k.base];
      r.raws.forEach((raw, i) => args.push(delays[i] ?? 0, raw));
      send = async () => Number(await runScript(this.#redis, 'enqueueRouted', [k.wait, k.workers, sent, k.marker, k.delayed, k.prio, k.groups], args));
    }
    if (!this.#durability) return send();
    return this.#durability.write(send, enqueueAgain, Date.now() + r.sentTtlMs - SENT_MARGIN_MS, k.base);
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
      agingMs: r.agingMs ?? AGING,
      limits: r.limits,
      worker: r.workerId,
      cancelled: r.cancelledReply,
    });
    const keys = [k.wait, k.marker, k.batches, k.deliveries, k.seq, k.dead, k.cancelled, k.delayed, k.prio, k.groups, k.held];
    const flat = (await runScript(this.#redis, 'take', keys, [options])) as Array<string | number>;
    const calls: TakenCall[] = [];
    // Tokens are consecutive: the script returns the one before the first, whose successor names the batch.
    const before = Number(flat[2]);
    const batch = String(before + 1);
    for (let i = 3, j = 1; i + 1 < flat.length; i += 2, j++) {
      calls.push({ token: String(before + j), batch, raw: String(flat[i]), deliveries: Number(flat[i + 1]) });
    }
    return { calls, blocked: Number(flat[0]) === 1, nextDueMs: Number(flat[1]) };
  }

  /**
   * 1 (settled) or 0 (lease lost or settled before: result dropped) per item, in `items`' order;
   * `how` says how each batch named in `items` ends (BatchEnd). See complete-4.lua.
   */
  async complete(k: QueueKeys, items: readonly Settlement[], o: CompleteOptions, how: (batch: string) => BatchEnd): Promise<number[]> {
    // The script takes the calls batch after batch.
    const byBatch = new Map<string, number[]>();
    items.forEach((s, i) => {
      const at = byBatch.get(s.batch);
      if (at) at.push(i);
      else byBatch.set(s.batch, [i]);
    });
    const args: ScriptArg[] = [o.inboxTtlMs, o.deadMaxLen, o.replyTtlMs, k.base, o.channelPrefix, byBatch.size];
    for (const [batch, at] of byBatch) args.push(batch, at.length, how(batch));
    const order: number[] = [];
    // Five arguments per call; the five optional ones only when set (see complete-4.lua).
    for (const at of byBatch.values()) {
      for (const i of at) {
        const s = items[i] as Settlement;
        order.push(i);
        const scopes = s.scopes ?? '';
        if (s.deadReason === '' && s.idem === '' && s.input === '' && scopes === '') args.push(s.token, s.callId, s.action, s.to, s.payload);
        else args.push(s.token, s.callId, `${s.action}x`, s.to, s.payload, s.deadReason, s.idem, s.idemTtlMs, s.input, scopes);
      }
    }
    const send = async () => ((await runScript(this.#redis, 'complete', [k.batches, k.deliveries, k.dead, k.delayed], args)) as number[]).map(Number);
    // A re-sent complete settles nothing twice: a whole batch is gone, a part's entries are ''.
    const res = this.#durability ? await this.#durability.write(send, completeAgain, Date.now() + this.#completeWithinMs, k.base) : await send();
    const out = new Array<number>(items.length);
    order.forEach((i, j) => (out[i] = res[j] ?? 0));
    return out;
  }

  /** Renews the leases of taken batches; answers the batches whose lease was already gone. */
  async extend(k: QueueKeys, leaseMs: number, batches: readonly string[]): Promise<string[]> {
    return ((await runScript(this.#redis, 'extend', [k.batches], [leaseMs, ...batches])) as unknown[]).map(String);
  }

  async maintain(k: QueueKeys, r: MaintainRequest): Promise<MaintainResult> {
    const keys = [k.active, k.bodies, k.wait, k.workers, k.delayed, k.cancelled, k.deliveries, k.marker, k.prio, k.groups, k.batches];
    const held = (r.held ?? []).map((b) => `b${b}`).join(',');
    const res = (await runScript(this.#redis, 'maintain', keys, [r.workerId, r.workerTtlMs, r.limit, r.alive ? '1' : '0', k.base, r.agingMs ?? AGING, held])) as number[];
    return { requeued: Number(res[0]), gone: Number(res[1]), promoted: Number(res[2]) };
  }

  /** Hands leased calls back to the head of the queue, uncounted; answers how many went back. */
  async release(k: QueueKeys, calls: ReadonlyArray<Pick<TakenCall, 'batch' | 'token'>>, agingMs = AGING): Promise<number> {
    const args: ScriptArg[] = [k.base, agingMs];
    for (const c of calls) args.push(c.batch, c.token);
    return Number(await runScript(this.#redis, 'release', [k.batches, k.wait, k.marker, k.prio, k.groups], args));
  }

  /** Takes a call its caller stopped waiting for off the queue, atomically; see withdraw-4.lua. */
  async withdraw(k: QueueKeys, r: WithdrawRequest): Promise<WithdrawResult> {
    const keys = [k.wait, k.cancelled, k.deliveries, k.input(r.callId), k.delayed, k.prio, k.groups];
    const args = [r.raw, r.callId, r.deadline, k.cancelChannel, r.announce ? (r.sharded ? 's' : '1') : '0', r.group ?? '', k.base, r.task, r.idem ?? '', r.joinedReply ?? ''];
    const res = Number(await runScript(this.#redis, 'withdraw', keys, args));
    return res === 1 ? 'withdrawn' : res === 0 ? 'announced' : 'gone';
  }

  /** Puts a dead letter back on its queue exactly once; false if it was gone. */
  async replay(k: QueueKeys, entryId: string, raw: string, agingMs = AGING): Promise<boolean> {
    return Number(await runScript(this.#redis, 'replay', [k.dead, k.wait, k.marker, k.prio, k.groups], [entryId, raw, k.base, agingMs])) === 1;
  }

  /**
   * Claims the first delivery of a signed call's attempt (docs/SECURITY.md, *Signing*): false when
   * it was claimed before, i.e. the same call was pushed again. Kept until its deadline + 60 s.
   */
  async claimDeliveries(k: QueueKeys, claims: ReadonlyArray<{ callId: string; attempt: number; deadline: number }>): Promise<boolean[]> {
    const now = Date.now();
    const keys = claims.map((c) => `${k.base}:seen:${c.callId}:${c.attempt}:${c.deadline}`);
    const ttls = claims.map((c) => Math.max(c.deadline - now, 0) + 60_000);
    return ((await runScript(this.#redis, 'claim', keys, ttls)) as number[]).map((r) => Number(r) === 1);
  }

  /** Calls under a lease: an older worker's one by one, and the batches' entries not yet settled. */
  async #runningCount(k: QueueKeys): Promise<number> {
    const [single, batches] = await Promise.all([this.#redis.zcard(k.active), this.#redis.zrange(k.batches, 0, -1)]);
    const open = await Promise.all(
      batches.map(async (b) => {
        const [length, settled] = await Promise.all([this.#redis.llen(k.batch(b)), this.#redis.lpos(k.batch(b), '', 'COUNT', 0)]);
        return length - (settled as unknown as unknown[]).length;
      }),
    );
    return open.reduce((a, b) => a + b, single);
  }

  async counts(k: QueueKeys, workerTtlMs: number): Promise<QueueCounts> {
    const time = await this.#redis.time();
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    const [wait, prio, running, delayed, dead, workers, groupNames, scopes, schedules] = await Promise.all([
      this.#redis.llen(k.wait),
      this.#redis.zcard(k.prio),
      this.#runningCount(k),
      this.#redis.zcard(k.delayed),
      this.#redis.xlen(k.dead),
      this.#redis.zcount(k.workers, now - workerTtlMs, '+inf'),
      this.#redis.lrange(k.groups, 0, -1),
      this.#redis.zrange(k.held, 0, -1),
      this.#redis.hlen(k.schedules),
    ]);
    const sizes = (lists: string[]) => Promise.all(lists.map((l) => this.#redis.llen(l)));
    const [grouped, held] = await Promise.all([sizes(groupNames.map((g) => k.group(g))), sizes(scopes.map((s) => `${k.base}:held:${s}`))]);
    const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);
    const limited = sum(held);
    return { waiting: wait + prio + sum(grouped) + limited, running, delayed, dead, workers, limited, groups: groupNames.length, schedules };
  }
}
