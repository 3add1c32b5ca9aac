import { Redis } from 'ioredis';

/**
 * Counts the replies written for each call id, independently of the client: a second reply to
 * one call (a fencing failure) shows up here even though the caller's promise can settle only
 * once. Key mode is seen through keyspace notifications of SETs on reply keys, pub/sub mode by
 * listening on the reply channels. The Redis server must run with `notify-keyspace-events K$`
 * (see FAULT_REDIS_CONFIG). Notifications are fire-and-forget, so a tap cut off by a Redis
 * restart can miss replies: it can hide a duplicate, never invent one.
 */
export class ReplyTap {
  readonly #sub: Redis;
  readonly #counts = new Map<string, number>();

  private constructor(sub: Redis) {
    this.#sub = sub;
  }

  static async start(url: string, prefix: string): Promise<ReplyTap> {
    const sub = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
    sub.on('error', () => undefined);
    const tap = new ReplyTap(sub);
    const replyKey = /:reply:([^:]+)$/;
    sub.on('pmessage', (_pattern: string, channel: string, message: string) => {
      if (channel.startsWith('__keyspace@')) {
        if (message !== 'set') return;
        const id = replyKey.exec(channel)?.[1];
        if (id) tap.#count(id);
      } else {
        const id = /^\{"v":1,"id":"([^"]+)"/.exec(message)?.[1];
        if (id) tap.#count(id);
      }
    });
    await sub.psubscribe(`__keyspace@0__:${prefix}:*:reply:*`, `${prefix}:reply:*`);
    return tap;
  }

  #count(id: string): void {
    this.#counts.set(id, (this.#counts.get(id) ?? 0) + 1);
  }

  /** The call ids replies were written for (whether or not a caller read them). */
  callIds(): ReadonlySet<string> {
    return new Set(this.#counts.keys());
  }

  /** Replies seen, and how many of them were second (or later) replies to the same call. */
  summary(): { replies: number; calls: number; duplicates: number } {
    let replies = 0;
    let duplicates = 0;
    for (const n of this.#counts.values()) {
      replies += n;
      duplicates += n - 1;
    }
    return { replies, calls: this.#counts.size, duplicates };
  }

  close(): void {
    this.#sub.disconnect();
  }
}

/** Settings for the private Redis servers of fault tests. */
export const FAULT_REDIS_CONFIG = { 'notify-keyspace-events': 'K$' } as const;
