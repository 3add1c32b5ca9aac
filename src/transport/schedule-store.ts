import type { QueueKeys } from '../wire/keys.js';
import { DEFAULTS } from '../wire/protocol.js';
import type { Connection } from './connection.js';
import { runScript } from './scripts.js';

/**
 * Every command on a queue's schedule keys (`schedules`, `ticks`; docs/PROTOCOL.md, *Schedules*):
 * upsert, remove, read and list for src/scheduling/, the due check and the fire for workers,
 * the count for admin. A record and its next tick are only ever written together, by a script.
 */

export interface StoredSchedule {
  /** The record's JSON text (wire/schedule-record.ts). */
  raw: string;
  /** Its next tick (ms), or undefined if it has none (never written so by taskwire). */
  tick: number | undefined;
}

export interface Upserted {
  created: boolean;
  /** The next tick: the one given, or the one kept by an update of the same timing. */
  tick: number;
  /** When the schedule was first created (ms). */
  createdAt: number;
}

export interface DueSchedule {
  id: string;
  tick: number;
  /** The record, '' if the tick has none (never written so by taskwire). */
  raw: string;
}

export interface DueScan {
  /** Redis' clock when it read them (ms). */
  now: number;
  /** The earliest tick after `now`, if any. */
  next: number | undefined;
  /** Earliest first. */
  due: DueSchedule[];
}

export interface FireRequest {
  id: string;
  /** The revision of the record the call was computed from. */
  rev: string;
  /** The tick as read (the compare-and-set's expected value). */
  due: number;
  next: number;
  /** The call envelope, or undefined to move the tick on without a call. */
  envelope: string | undefined;
  agingMs?: number;
}

/** Pushed the call, moved the tick on without one, or did nothing (another run got there first). */
export type FireResult = 'fired' | 'skipped' | 'lost';

export class ScheduleStore {
  readonly #redis: Connection;
  /** Tell workers of an upsert with SPUBLISH on the queue's shard rather than PUBLISH. */
  readonly #sharded: boolean;

  constructor(redis: Connection, sharded = false) {
    this.#redis = redis;
    this.#sharded = sharded;
  }

  /** Redis' clock (ms): every tick is computed by one clock, never a process's own. */
  async now(): Promise<number> {
    const [s, us] = await this.#redis.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  async upsert(k: QueueKeys, id: string, record: string, firstTick: number): Promise<Upserted> {
    const res = (await runScript(this.#redis, 'scheduleUpsert', [k.schedules, k.ticks], [id, record, firstTick, k.scheduleChannel, this.#sharded ? 's' : ''])) as unknown[];
    return { created: Number(res[0]) === 1, tick: Number(res[1]), createdAt: Number(res[2]) };
  }

  /** True if there was one. */
  async remove(k: QueueKeys, id: string): Promise<boolean> {
    return Number(await runScript(this.#redis, 'scheduleRemove', [k.schedules, k.ticks], [id])) === 1;
  }

  async exists(k: QueueKeys, id: string): Promise<boolean> {
    return (await this.#redis.hexists(k.schedules, id)) === 1;
  }

  async get(k: QueueKeys, id: string): Promise<StoredSchedule | undefined> {
    // One transaction: a record and its tick as one upsert left them.
    const res = await this.#redis.multi().hget(k.schedules, id).zscore(k.ticks, id).exec();
    const raw = res?.[0]?.[1];
    if (typeof raw !== 'string') return undefined;
    const tick = res?.[1]?.[1];
    return { raw, tick: tick === null || tick === undefined ? undefined : Number(tick) };
  }

  /** Every schedule of the queue, in no particular order. */
  async list(k: QueueKeys): Promise<Array<StoredSchedule & { id: string }>> {
    const res = await this.#redis.multi().hgetall(k.schedules).zrange(k.ticks, 0, -1, 'WITHSCORES').exec();
    const records = (res?.[0]?.[1] ?? {}) as Record<string, string>;
    const flat = (res?.[1]?.[1] ?? []) as string[];
    const ticks = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) ticks.set(String(flat[i]), Number(flat[i + 1]));
    return Object.entries(records).map(([id, raw]) => ({ id, raw, tick: ticks.get(id) }));
  }

  async count(k: QueueKeys): Promise<number> {
    return this.#redis.hlen(k.schedules);
  }

  /** Schedules whose tick has come (at most `limit`), and when the next one comes; see schedule-due-2.lua. */
  async due(k: QueueKeys, limit: number): Promise<DueScan> {
    const flat = (await runScript(this.#redis, 'scheduleDue', [k.schedules, k.ticks], [limit])) as unknown[];
    const next = Number(flat[1]);
    const due: DueSchedule[] = [];
    for (let i = 2; i + 2 < flat.length; i += 3) due.push({ id: String(flat[i]), tick: Number(flat[i + 1]), raw: String(flat[i + 2]) });
    return { now: Number(flat[0]), next: next >= 0 ? next : undefined, due };
  }

  /** Fires one tick at most once; see schedule-fire-6.lua. */
  async fire(k: QueueKeys, r: FireRequest): Promise<FireResult> {
    const keys = [k.schedules, k.ticks, k.wait, k.marker, k.prio, k.groups];
    const args = [r.id, r.rev, r.due, r.next, r.envelope ?? '', k.base, r.agingMs ?? DEFAULTS.priorityAgingMs];
    const res = Number(await runScript(this.#redis, 'scheduleFire', keys, args));
    return res === 1 ? 'fired' : res === 2 ? 'skipped' : 'lost';
  }
}
