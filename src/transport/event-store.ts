import { eventKeys, type QueueKeys } from '../wire/keys.js';
import type { Connection } from './connection.js';

/** Where a task's events go: plain pub/sub (`<p>:events:<task>`), and/or its queue's shard channel. */
export interface EventRoutes {
  plain: boolean;
  sharded: boolean;
}

/**
 * The commands of completion events (wire/keys.ts eventKeys, docs/PROTOCOL.md *Events*): who
 * watches which task, and the events themselves. Plain commands on one key and a few channels;
 * nothing here is in a call's path unless someone watches its task. A listener with sharded
 * pub/sub (`shard`: its task's queue) hears on the queue's channels, on the queue's shard.
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
  async watch(task: string, listener: string, forMs: number, announce = true, shard?: QueueKeys): Promise<number> {
    const k = this.#keys;
    const now = await this.#now();
    await this.#redis.multi().zadd(k.watching, now + forMs, member(task, listener, shard)).zremrangebyscore(k.watching, '-inf', now - STALE_MS).exec();
    if (!announce) return 0;
    return Number(await (shard ? this.#redis.spublish(shard.eventWatch, task) : this.#redis.publish(k.watch, task)));
  }

  async #now(): Promise<number> {
    const [s, us] = await this.#redis.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  async unwatch(task: string, listener: string, shard?: QueueKeys): Promise<void> {
    await this.#redis.zrem(this.#keys.watching, member(task, listener, shard));
  }

  /** The tasks someone watches now (by Redis' clock), and how their listeners hear. */
  async watched(): Promise<Map<string, EventRoutes>> {
    const members = await this.#redis.zrangebyscore(this.#keys.watching, await this.#now(), '+inf');
    const out = new Map<string, EventRoutes>();
    for (const m of members) {
      const [task = '', , how] = m.split('\n');
      let routes = out.get(task);
      if (!routes) out.set(task, (routes = { plain: false, sharded: false }));
      if (how === 's') routes.sharded = true;
      else routes.plain = true;
    }
    return out;
  }

  /** Publishes where the task's listeners hear: `shard` is its queue (for the sharded channel). */
  async publish(task: string, message: string, routes: EventRoutes, shard: QueueKeys): Promise<void> {
    await Promise.all([
      routes.plain ? this.#redis.publish(this.#keys.channel(task), message) : undefined,
      routes.sharded ? this.#redis.spublish(shard.eventChannel(task), message) : undefined,
    ]);
  }
}

/**
 * A watch: `<task>\n<listener>`, and `\ns` for a listener on sharded pub/sub (workers older than
 * sharded pub/sub read the task before the first newline, as before, and publish plainly).
 */
function member(task: string, listener: string, shard: QueueKeys | undefined): string {
  return shard ? `${task}\n${listener}\ns` : `${task}\n${listener}`;
}

/** Watches that ended this long ago go (listeners that died without unwatching). */
const STALE_MS = 60_000;
