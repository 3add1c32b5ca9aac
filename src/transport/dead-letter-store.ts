import type { QueueKeys } from '../wire/keys.js';
import type { Connection } from './connection.js';

/** One entry of a dead-letter stream: its id and its fields (reason, id, envelope, error, detail, at, input). */
export interface DeadLetterEntry {
  id: string;
  fields: Record<string, string>;
}

function entry([id, flat]: [string, string[]]): DeadLetterEntry {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
  return { id, fields };
}

/**
 * The commands on a queue's dead-letter stream (written by take-11.lua and complete-4.lua). What
 * a dead letter means and how it is replayed is admin/dead-letters.ts; replay itself moves a
 * call, so it is QueueStore.replay.
 */
export class DeadLetterStore {
  readonly #redis: Connection;

  constructor(redis: Connection) {
    this.#redis = redis;
  }

  count(k: QueueKeys): Promise<number> {
    return this.#redis.xlen(k.dead);
  }

  /** Oldest first, from the entry after `after` (from the first without it). */
  async range(k: QueueKeys, after: string | undefined, count: number): Promise<DeadLetterEntry[]> {
    const rows = await this.#redis.xrange(k.dead, after === undefined ? '-' : `(${after}`, '+', 'COUNT', count);
    return rows.map(entry);
  }

  /** Oldest first, from entry `from` itself (if it is there) on. */
  async rangeFrom(k: QueueKeys, from: string, count: number): Promise<DeadLetterEntry[]> {
    const rows = await this.#redis.xrange(k.dead, from, '+', 'COUNT', count);
    return rows.map(entry);
  }

  async get(k: QueueKeys, id: string): Promise<DeadLetterEntry | undefined> {
    const [row] = await this.#redis.xrange(k.dead, id, id);
    return row ? entry(row) : undefined;
  }

  async delete(k: QueueKeys, id: string): Promise<boolean> {
    return (await this.#redis.xdel(k.dead, id)) === 1;
  }

  /**
   * Deletes the entries up to and including `entryId` (`<ms>-<seq>`), leaving any set aside after
   * it; answers how many went. XTRIM MINID drops the entries below the id that follows it.
   */
  async deleteThrough(k: QueueKeys, entryId: string): Promise<number> {
    const [ms, seq] = entryId.split('-');
    return this.#redis.xtrim(k.dead, 'MINID', `${ms}-${BigInt(seq ?? '0') + 1n}`);
  }

  /** Deletes the whole stream; answers how many entries it held. */
  async deleteAll(k: QueueKeys): Promise<number> {
    const res = await this.#redis.multi().xlen(k.dead).del(k.dead).exec();
    return Number(res?.[0]?.[1] ?? 0);
  }
}
