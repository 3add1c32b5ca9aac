import { Signer, type SigningOptions } from '../wire/signing.js';
import { queueNameProblem } from '../contract/names.js';
import { DEFAULTS } from '../wire/protocol.js';
import { superjsonSerializer, type Serializer } from '../wire/serializer.js';
import { closeConnection, openConnection, type RedisSource, type Connection } from '../transport/connection.js';
import { checkRedisSource } from '../transport/redis-source.js';
import { failureCause, redisAddress } from '../transport/redis-address.js';
import { DeadLetterStore } from '../transport/dead-letter-store.js';
import { QueueStore, type QueueCounts } from '../transport/queue-store.js';
import { QueueViewStore } from '../transport/queue-view-store.js';
import { WorkerRegistry } from '../transport/worker-registry.js';
import { listCalls, type CallState, type CallView } from './calls.js';
import { DeadLetters } from './dead-letters.js';
import { readOverview, type Overview } from './overview.js';
import { PartitionedQueues, sumCounts } from './partitioned-queues.js';

export type { QueueCounts } from '../transport/queue-store.js';

export interface AdminOptions {
  /**
   * Signs the calls a dead-letter replay writes; signed messages (docs/SECURITY.md, *Signing*): HMAC-SHA256 over each call and reply, so that
   * write access to Redis alone cannot make a worker run a forged call or a caller accept a
   * forged result. Clients, workers and the admin API of a prefix share the keys.
   */
  signing?: SigningOptions;
  redis: RedisSource;
  prefix?: string;
  /** How dead letters' inputs and errors are decoded; the workers' serializer. Default superjson. */
  serializer?: Serializer;
}

export interface OverviewOptions {
  /** These queues (default: every queue with a key under the prefix, found with SCAN). */
  queues?: readonly string[];
  /** A worker whose heartbeat is older does not count (default 10 s, as the workers'). */
  workerTtlMs?: number;
}

/**
 * Operations on queues. `overview()` is the one source of figures: `taskwire inspect`, the
 * dashboard and a metrics exporter all show what it returns, so their numbers cannot disagree.
 */
export interface Admin {
  readonly prefix: string;
  /** Every figure of the queues and their live workers, read in one pass. */
  overview(options?: OverviewOptions): Promise<Overview>;
  /** The queues that have any key under the prefix, sorted (a SCAN: do not call it per request). */
  queues(): Promise<string[]>;
  /** Up to `count` (default 50) calls of a queue in one state, decoded. */
  calls(queue: string, state: CallState, options?: { count?: number }): Promise<CallView[]>;
  deadLetters(queue: string): DeadLetters;
  /** `workerTtlMs`: a worker whose heartbeat is older does not count (default 10 s, as the workers'). */
  counts(queue: string, options?: { workerTtlMs?: number }): Promise<QueueCounts>;
  /**
   * The admin's connection now: ready or not, where it goes (never a password), and its last
   * failure since it was last ready. For health checks, and for readers that should answer at
   * once while Redis is away rather than wait out a command timeout (the dashboard, metrics).
   */
  connection(): AdminConnection;
  close(): Promise<void>;
}

export interface AdminConnection {
  ready: boolean;
  redis: string;
  /** As ioredis reported it (e.g. "connect ECONNREFUSED 127.0.0.1:6379"); undefined once ready again. */
  lastError: string | undefined;
}

export function createAdmin(options: AdminOptions): Admin {
  // Said here, in the caller's words, rather than by the connection it would open.
  checkRedisSource(options.redis, 'createAdmin()');
  const prefix = options.prefix ?? DEFAULTS.prefix;
  const serializer = options.serializer ?? superjsonSerializer;
  const signer = options.signing ? new Signer(options.signing, 'createAdmin()') : undefined;
  const redis: Connection = openConnection(options.redis, { name: 'tw-admin' });
  let lastError: string | undefined;
  redis.on('error', (err: unknown) => (lastError = failureCause(err)));
  redis.on('ready', () => (lastError = undefined));
  const queues = new QueueStore(redis);
  const views = new QueueViewStore(redis);
  const registry = new WorkerRegistry(redis);
  const letters = new DeadLetterStore(redis);
  const partitioned = new PartitionedQueues(views, prefix);
  const discover = async () => partitioned.fold((await views.queueNames(prefix)).filter((q) => queueNameProblem(q) === undefined));
  return {
    prefix,
    overview: async (o = {}) => {
      const names = o.queues ?? (await discover());
      const ttl = o.workerTtlMs ?? DEFAULTS.workerTtlMs;
      return readOverview({ queues, views, registry }, prefix, await Promise.all(names.map((q) => partitioned.keysOf(q))), ttl);
    },
    queues: discover,
    // Of a partitioned queue, every partition's calls, partition by partition, up to `count`.
    calls: async (queue, state, o = {}) => {
      const out: CallView[] = [];
      const count = o.count ?? 50;
      for (const k of await partitioned.keysOf(queue)) {
        if (out.length >= count) break;
        out.push(...(await listCalls(views, k, state, count - out.length, serializer)));
      }
      return out;
    },
    deadLetters: (queue) => new DeadLetters(letters, queues, () => partitioned.keysOf(queue), serializer, signer),
    counts: async (queue, countOptions = {}) => {
      const parts = await partitioned.keysOf(queue);
      const counts = await Promise.all(parts.map((k) => queues.counts(k, countOptions.workerTtlMs ?? DEFAULTS.workerTtlMs)));
      return parts.length === 1 && parts[0]?.partition === undefined ? (counts[0] as QueueCounts) : { ...sumCounts(counts), partitions: parts.length };
    },
    connection: () => ({ ready: redis.status === 'ready', redis: redisAddress(redis), lastError }),
    close: () => closeConnection(redis),
  };
}
