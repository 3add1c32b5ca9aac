import type { QueueKeys } from '../wire/keys.js';
import { DEFAULTS } from '../wire/protocol.js';
import type { Connection } from './connection.js';
import { runScript } from './scripts.js';

/**
 * What Redis keeps of detached calls (docs/WORKFLOWS.md): a call's status and latest progress
 * (`run:<call>`), its outcome under the idempotency key `run:<call>`, and the followers waiting
 * for it; progress reports to a listening caller go out here too. Beside QueueStore, which moves
 * calls between a queue's structures.
 */

export interface FollowRequest {
  /** The detached call followed. */
  callId: string;
  /** The follower's own id: the copy of the reply carries it. */
  followerId: string;
  /** Where the copy goes: see deliver.lua. */
  replySpec: string;
  replyTtlMs: number;
  inboxTtlMs: number;
  /** The task the follower expects ('' any). */
  task: string;
}

/** Delivered now, delivered when it settles, unknown (or expired), or a call of another task. */
export type FollowResult = { kind: 'delivered' | 'joined' | 'unknown' } | { kind: 'other-task'; task: string };

/** What Redis holds of a detached call: its reply if it settled, else its status fields. */
export interface RunRecord {
  reply: string | null;
  status: Record<string, string>;
  /** Its idempotency key still exists (it was enqueued and has not expired). */
  known: boolean;
}

export class RunStore {
  readonly #redis: Connection;

  constructor(redis: Connection) {
    this.#redis = redis;
  }

  /** Stores CANCELLED as the outcome of a detached call withdrawn before it ran: see cancel-run-2.lua. */
  async cancelRun(k: QueueKeys, callId: string, reply: string, resultTtlMs: number, replyTtlMs: number): Promise<boolean> {
    const idem = k.runIdempotency(callId);
    return Number(await runScript(this.#redis, 'cancelRun', [idem, k.run(callId)], [reply, resultTtlMs, replyTtlMs, DEFAULTS.inboxTtlMs])) === 1;
  }

  /** Follows a detached call: see follow-2.lua. */
  async follow(k: QueueKeys, r: FollowRequest): Promise<FollowResult> {
    const args = [r.followerId, r.replySpec, r.replyTtlMs, r.inboxTtlMs, r.task];
    const res = (await runScript(this.#redis, 'follow', [k.runIdempotency(r.callId), k.run(r.callId)], args)) as Array<number | string>;
    const code = Number(res[0]);
    if (code === -5) return { kind: 'other-task', task: String(res[1]) };
    return { kind: code === -3 ? 'delivered' : code === -2 ? 'joined' : 'unknown' };
  }

  /** A follower that stopped waiting (timed out, aborted) leaves the call's waiters: no copy is written for it. */
  async unfollow(k: QueueKeys, callId: string, followerId: string, replySpec: string): Promise<void> {
    await this.#redis.lrem(`${k.runIdempotency(callId)}:waiters`, 1, `${followerId}|${replySpec}`);
  }

  /** A detached call's reply and status, read together. */
  async run(k: QueueKeys, callId: string): Promise<RunRecord> {
    const idem = k.runIdempotency(callId);
    const res = await this.#redis.multi().get(`${idem}:result`).hgetall(k.run(callId)).exists(idem).exec();
    const [reply, status, known] = (res ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    return { reply: (reply as string | null) ?? null, status: (status as Record<string, string> | undefined) ?? {}, known: Number(known) === 1 };
  }

  /**
   * A progress report: published to the caller listening (`channel`), and kept as a detached
   * call's latest progress (`run`). Best effort: a report may be lost, a result never.
   */
  async progress(k: QueueKeys, callId: string, channel: { name: string; sharded: boolean } | undefined, message: string, run: { text: string; ttlMs: number } | undefined): Promise<void> {
    // One command for a caller that listens (nearly every report): no MULTI around it.
    if (!run) {
      if (channel !== undefined) await (channel.sharded ? this.#redis.spublish(channel.name, message) : this.#redis.publish(channel.name, message));
      return;
    }
    const m = this.#redis.multi();
    if (channel !== undefined) {
      if (channel.sharded) m.spublish(channel.name, message);
      else m.publish(channel.name, message);
    }
    m.hset(k.run(callId), 'progress', run.text).pexpire(k.run(callId), run.ttlMs);
    await m.exec();
  }

  /** Records a detached call's state (the worker: running, or delayed for its retry), kept `ttlMs` (its outcome's ttl). */
  async setRun(k: QueueKeys, callId: string, fields: Record<string, string | number>, ttlMs: number): Promise<void> {
    await this.#redis.multi().hset(k.run(callId), fields).pexpire(k.run(callId), ttlMs).exec();
  }
}
