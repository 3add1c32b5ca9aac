import { eventKeys } from '../wire/keys.js';
import type { Connection } from './connection.js';

/**
 * The commands of completion events (wire/keys.ts eventKeys, docs/PROTOCOL.md *Events*): who
 * watches which task, and the events themselves. Plain commands on one key and two channels;
 * nothing here is in a call's path unless someone watches its task.
 */
export class EventStore {
  readonly #redis: Connection;
  readonly #keys: ReturnType<typeof eventKeys>;

  constructor(redis: Connection, prefix: string) {
    this.#redis = redis;
    this.#keys = eventKeys(prefix);
  }

  get keys(): ReturnType<typeof eventKeys> {
    return this.#keys;
  }

  /**
   * Marks `task` watched by `listener` for `forMs` from now by Redis' clock (listeners' and
   * workers' clocks may disagree), and drops watches long expired. `announce`: tell the workers
   * now (a new listener) rather than at their next maintenance tick; answers how many were told.
   */
  async watch(task: string, listener: string, forMs: number, announce = true): Promise<number> {
    const k = this.#keys;
    const now = await this.#now();
    await this.#redis.multi().zadd(k.watching, now + forMs, `${task}\n${listener}`).zremrangebyscore(k.watching, '-inf', now - STALE_MS).exec();
    return announce ? Number(await this.#redis.publish(k.watch, task)) : 0;
  }

  async #now(): Promise<number> {
    const [s, us] = await this.#redis.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  async unwatch(task: string, listener: string): Promise<void> {
    await this.#redis.zrem(this.#keys.watching, `${task}\n${listener}`);
  }

  /** The tasks someone watches now (by Redis' clock). */
  async watched(): Promise<Set<string>> {
    const members = await this.#redis.zrangebyscore(this.#keys.watching, await this.#now(), '+inf');
    return new Set(members.map((m) => m.slice(0, m.indexOf('\n'))));
  }

  async publish(task: string, message: string): Promise<void> {
    await this.#redis.publish(this.#keys.channel(task), message);
  }
}

/** Watches that ended this long ago go (listeners that died without unwatching). */
const STALE_MS = 60_000;
