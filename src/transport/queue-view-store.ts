import type { Cluster } from 'ioredis';
import { partitionsKey, type QueueKeys } from '../wire/keys.js';
import type { Connection } from './connection.js';

/** A worker id and its last heartbeat (ms, Redis clock), from the queue's `workers` ZSET. */
export interface Heartbeat {
  id: string;
  at: number;
}

/** A running call: its lease token, lease expiry (ms, Redis clock) and envelope (undefined if its body is gone). */
export interface RunningEntry {
  token: string;
  leaseUntil: number;
  raw: string | undefined;
}

/** A call waiting out a retry backoff, and when it may run (ms, Redis clock). */
export interface DelayedEntry {
  raw: string;
  dueAt: number;
}

/** A `WITHSCORES` answer as [member, score] pairs. */
function pairs(flat: string[]): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), Number(flat[i + 1])]);
  return out;
}

/** `*`, `?`, `[`, `]` and `\` in a prefix are literal, not SCAN patterns. */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * Read-only views of a queue's keys for operators (admin/overview.ts, admin/calls.ts): the head
 * of the wait list, heartbeats, samples of waiting, running and delayed calls, and which queues
 * exist. Nothing here moves a call or writes a key, so a Redis user with read-only rights can run
 * all of it (docs/OPERATIONS.md). Counts stay QueueStore.counts, the function `createAdmin().counts`
 * has always used.
 */
export class QueueViewStore {
  readonly #redis: Connection;

  constructor(redis: Connection) {
    this.#redis = redis;
  }

  /** Redis' clock, ms: heartbeats and leases are in it. */
  async now(): Promise<number> {
    const [seconds, micros] = await this.#redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** The envelope at the head of the wait list (the next to be taken), if any. */
  async head(k: QueueKeys): Promise<string | null> {
    return this.#redis.lindex(k.wait, 0);
  }

  async heartbeats(k: QueueKeys): Promise<Heartbeat[]> {
    const flat = await this.#redis.zrange(k.workers, 0, -1, 'WITHSCORES');
    const out: Heartbeat[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: String(flat[i]), at: Number(flat[i + 1]) });
    return out;
  }

  /** The first `count` waiting envelopes, next to run first. */
  async waiting(k: QueueKeys, count: number): Promise<string[]> {
    return this.#redis.lrange(k.wait, 0, count - 1);
  }

  /** Up to `count` running calls, the lease expiring soonest first: batches' (take-11.lua) and an older worker's leased one by one. */
  async running(k: QueueKeys, count: number): Promise<RunningEntry[]> {
    const [single, batched] = await Promise.all([this.#leasedOneByOne(k, count), this.#leasedInBatches(k, count)]);
    return [...single, ...batched].sort((a, b) => a.leaseUntil - b.leaseUntil).slice(0, count);
  }

  async #leasedOneByOne(k: QueueKeys, count: number): Promise<RunningEntry[]> {
    const leases = pairs(await this.#redis.zrange(k.active, 0, count - 1, 'WITHSCORES'));
    if (leases.length === 0) return [];
    const bodies = await this.#redis.hmget(k.bodies, ...leases.map(([token]) => token));
    return leases.map(([token, until], i) => ({ token, leaseUntil: until, raw: bodies[i] ?? undefined }));
  }

  async #leasedInBatches(k: QueueKeys, count: number): Promise<RunningEntry[]> {
    const out: RunningEntry[] = [];
    for (const [first, until] of pairs(await this.#redis.zrange(k.batches, 0, -1, 'WITHSCORES'))) {
      if (out.length >= count) break;
      const entries = await this.#redis.lrange(k.batch(first), 0, -1);
      // '' marks a call of the batch settled already.
      entries.forEach((raw, i) => {
        if (raw !== '') out.push({ token: String(Number(first) + i), leaseUntil: until, raw });
      });
    }
    return out;
  }

  /** Up to `count` delayed calls, due soonest first. */
  async delayed(k: QueueKeys, count: number): Promise<DelayedEntry[]> {
    const flat = await this.#redis.zrange(k.delayed, 0, count - 1, 'WITHSCORES');
    const out: DelayedEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ raw: String(flat[i]), dueAt: Number(flat[i + 1]) });
    return out;
  }

  /**
   * The names of the queues that have any key under `prefix` (`<prefix>:{<queue>}:…`), sorted.
   * A SCAN of the whole keyspace (on every master of a cluster), so callers cache it.
   */
  /**
   * How many partitions each of `queues` has, from the `<p>:{q}:partitions` key its workers write
   * (docs/PARTITIONS.md); absent for a queue that is not partitioned.
   */
  async partitions(prefix: string, queues: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (queues.length === 0) return out;
    // One GET per queue, not a pipeline: a cluster's ioredis refuses a pipeline over several slots.
    const values = await Promise.all(queues.map((q) => this.#redis.get(partitionsKey(prefix, q))));
    values.forEach((value, i) => {
      const n = Number(value);
      const q = queues[i];
      if (q !== undefined && Number.isInteger(n) && n > 1) out.set(q, n);
    });
    return out;
  }

  async queueNames(prefix: string): Promise<string[]> {
    const pattern = `${globLiteral(prefix)}:{*}:*`;
    const start = `${prefix}:{`;
    const names = new Set<string>();
    const redis = this.#redis;
    // Until a Cluster has read its slots it knows only its startup nodes: a command waits for that.
    if (redis.isCluster && redis.status !== 'ready') await redis.ping();
    const nodes = redis.isCluster ? (redis as Cluster).nodes('master') : [redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          if (!key.startsWith(start)) continue;
          const end = key.indexOf('}', start.length);
          if (end > start.length) names.add(key.slice(start.length, end));
        }
      } while (cursor !== '0');
    }
    return [...names].sort();
  }
}
