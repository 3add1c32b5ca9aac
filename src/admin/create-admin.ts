import { queueKeys } from '../wire/keys.js';
import { closeConnection, openConnection, type RedisSource, type Connection } from '../transport/connection.js';
import { DeadLetters } from './dead-letters.js';

export interface AdminOptions {
  redis: RedisSource;
  prefix?: string;
}

export interface QueueCounts {
  waiting: number;
  running: number;
  delayed: number;
  dead: number;
  /** Workers that sent a heartbeat within the last `workerTtlMs` (default 10 s). */
  workers: number;
}

/** Operations on queues: dead letters and counts. The base of the coming CLI. */
export interface Admin {
  deadLetters(queue: string): DeadLetters;
  counts(queue: string, options?: { workerTtlMs?: number }): Promise<QueueCounts>;
  close(): Promise<void>;
}

export function createAdmin(options: AdminOptions): Admin {
  const prefix = options.prefix ?? 'tw';
  const redis: Connection = openConnection(options.redis, { name: 'tw-admin' });
  redis.on('error', () => undefined);
  return {
    deadLetters: (queue) => new DeadLetters(redis, queueKeys(prefix, queue)),
    async counts(queue, countOptions = {}) {
      const k = queueKeys(prefix, queue);
      const [time] = await Promise.all([redis.time()]);
      const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
      const [waiting, running, delayed, dead, workers] = await Promise.all([
        redis.llen(k.wait),
        redis.zcard(k.active),
        redis.zcard(k.delayed),
        redis.xlen(k.dead),
        redis.zcount(k.workers, now - (countOptions.workerTtlMs ?? 10_000), '+inf'),
      ]);
      return { waiting, running, delayed, dead, workers };
    },
    close: () => closeConnection(redis),
  };
}
