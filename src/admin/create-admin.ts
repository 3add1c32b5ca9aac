import { queueKeys } from '../wire/keys.js';
import { DEFAULTS } from '../wire/protocol.js';
import { superjsonSerializer, type Serializer } from '../wire/serializer.js';
import { closeConnection, openConnection, type RedisSource, type Connection } from '../transport/connection.js';
import { checkRedisSource } from '../transport/redis-source.js';
import { DeadLetterStore } from '../transport/dead-letter-store.js';
import { QueueStore, type QueueCounts } from '../transport/queue-store.js';
import { DeadLetters } from './dead-letters.js';

export type { QueueCounts } from '../transport/queue-store.js';

export interface AdminOptions {
  redis: RedisSource;
  prefix?: string;
  /** How dead letters' inputs and errors are decoded; the workers' serializer. Default superjson. */
  serializer?: Serializer;
}

/** Operations on queues: dead letters and counts. The base of the coming CLI. */
export interface Admin {
  deadLetters(queue: string): DeadLetters;
  /** `workerTtlMs`: a worker whose heartbeat is older does not count (default 10 s, as the workers'). */
  counts(queue: string, options?: { workerTtlMs?: number }): Promise<QueueCounts>;
  close(): Promise<void>;
}

export function createAdmin(options: AdminOptions): Admin {
  // Said here, in the caller's words, rather than by the connection it would open.
  checkRedisSource(options.redis, 'createAdmin()');
  const prefix = options.prefix ?? DEFAULTS.prefix;
  const redis: Connection = openConnection(options.redis, { name: 'tw-admin' });
  redis.on('error', () => undefined);
  const queues = new QueueStore(redis);
  const letters = new DeadLetterStore(redis);
  return {
    deadLetters: (queue) => new DeadLetters(letters, queues, queueKeys(prefix, queue), options.serializer ?? superjsonSerializer),
    counts: (queue, countOptions = {}) => queues.counts(queueKeys(prefix, queue), countOptions.workerTtlMs ?? DEFAULTS.workerTtlMs),
    close: () => closeConnection(redis),
  };
}
