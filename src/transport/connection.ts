import { Cluster, Redis, ReplyError, type ClusterOptions, type RedisOptions } from 'ioredis';
import { UNPIPELINED_COMMANDS } from './pipelining.js';
import { GuardedConnector, GuardedSentinelConnector } from './guarded-connector.js';
import { refuseWrongDatabase } from './wrong-database.js';
import { handledSubscribes } from './handled-subscribes.js';
import { checkRedisSource, isClusterInstance, isRedisInstance, type RedisSource } from './redis-source.js';

export type { ClusterSource, IoredisConnection, RedisSource } from './redis-source.js';

/**
 * A connection of either kind; every key one command or script touches shares one hash tag.
 * Typed as taskwire's ioredis, also when it is a twin of an app's ioredis 6 connection: the
 * commands, events and script calls taskwire uses have the same shapes in both (tested with
 * ioredis 5.11.1 and 6.1.0).
 */
export type Connection = Redis | Cluster;

export interface ConnectionRole {
  /** Long blocking reads (BLPOP/BLMPOP) and subscriptions must not share a connection with commands. */
  blocking?: boolean;
  /**
   * A subscriber: on a Cluster it may also SSUBSCRIBE (sharded pub/sub), which ioredis routes to
   * the shard of each channel with a connection per shard that has channels (`shardedSubscribers`).
   */
  subscriber?: boolean;
  name: string;
}

/** Whether a source names a Redis Cluster (then each queue's keys live on one shard of it). */
export function isCluster(source: RedisSource): boolean {
  const kind = checkRedisSource(source, 'taskwire').kind;
  return kind === 'cluster' || kind === 'cluster-instance';
}

/**
 * Options of blocking connections. Our blocking reads carry their own 1 s bound, and a worker
 * writes its take right behind its park (worker/fetcher.ts): a user's commandTimeout, which
 * ioredis counts from the write, would fail that take while Redis still holds it, and the calls
 * it then leased would go unread until their leases expired.
 */
function blockingOnly(role: ConnectionRole): Pick<RedisOptions, 'commandTimeout' | 'blockingTimeout'> {
  return role.blocking ? { commandTimeout: undefined, blockingTimeout: undefined } : {};
}

/**
 * How long ioredis waits for a socket it ended to close before destroying it. Short, because
 * ioredis (5 and 6, AbstractConnector.disconnect) arms this timer also for a socket that failed
 * long ago and will never close again; closeConnection waits it out, so that nothing of a
 * closed worker or client is still scheduled when its close() resolves.
 */
const DISCONNECT_TIMEOUT_MS = 100;

/**
 * How long a connection waits before its `times`-th reconnect: 100 ms doubling to 2 s, each
 * spread by ±20% so that the connections of many processes, cut by one Redis restart, do not
 * all come back in the same millisecond (a thundering herd on a Redis that just started).
 */
export function reconnectDelay(times: number, random: () => number = Math.random): number {
  return Math.round(Math.min(50 * 2 ** Math.min(times, 6), 2_000) * (0.8 + 0.4 * random()));
}

const retryStrategy = (times: number): number => reconnectDelay(times);

/**
 * READONLY means this connection reached a replica: after a Sentinel failover the old primary is
 * demoted, its normal clients are killed, and some reconnect while a sentinel still names it.
 * Writes (scripts, BLPOP/BLMPOP, which Redis counts as writes) would fail there until a restart:
 * reconnect, asking the sentinels again, and resend the command (ioredis: 2). An app's own
 * reconnectOnError still decides every other error.
 */
function reconnectOnReadonly(own: unknown): (err: Error) => boolean | 1 | 2 {
  return (err) => {
    if (err.message.startsWith('READONLY')) return 2;
    return typeof own === 'function' ? (own as (err: Error) => boolean | 1 | 2)(err) : false;
  };
}

/**
 * Options ioredis 6 knows and 5 does not, for twins of an app's connections: RESP2 with the
 * replies shaped as in ioredis 5, whatever the app chose. taskwire parses script and command
 * replies in RESP2's shapes and uses nothing of RESP3's; with `replyMapping: "resp3"` an app's
 * connection would hand it maps as objects.
 */
const SAME_WIRE_AS_IOREDIS_5: Readonly<Record<string, unknown>> = { protocol: 2, replyMapping: 'legacy' };

/**
 * Sockets that a second error cannot crash (guarded-connector.ts), unless the options choose a
 * connector of their own, or Sentinel's failover detector, whose events ioredis announces only
 * through its own Sentinel connector.
 */
function guarded(options: Pick<RedisOptions, 'sentinels' | 'Connector' | 'failoverDetector'>): Pick<RedisOptions, 'Connector'> {
  if (options.Connector !== undefined) return {};
  if (options.sentinels === undefined) return { Connector: GuardedConnector };
  return options.failoverDetector === true ? {} : { Connector: GuardedSentinelConnector };
}

/** Checks that a twin made by an app's ioredis is a connection, and types it as ours (see Connection). */
function asConnection(twin: unknown): Connection {
  if (!isRedisInstance(twin) && !isClusterInstance(twin)) throw new TypeError('duplicate() of the given connection did not return an ioredis connection');
  return twin as unknown as Connection;
}

/**
 * Opens a connection of our own for one role. A passed-in connection is duplicated, never used
 * directly: taskwire puts connections into blocking or subscriber mode and closes them.
 *
 * An app's `Redis` or `Cluster` is duplicated by its own ioredis (its `duplicate()`), not re-read
 * into taskwire's: the twin goes where the app's goes with the same auth, TLS, Sentinel set,
 * custom connector, NAT map or DNS lookup, including options taskwire's ioredis does not know
 * (an ioredis 6 TLS profile, say), which a copy into ioredis 5 would drop without a word. Only
 * what taskwire relies on is set over the app's choices (`common` below).
 */
export function openConnection(source: RedisSource, role: ConnectionRole): Connection {
  const where = checkRedisSource(source, 'taskwire');
  // Blocking reads and subscriptions take a connection to themselves: nothing to pipeline.
  const pipelining = { enableAutoPipelining: !role.blocking, autoPipeliningIgnoredCommands: [...UNPIPELINED_COMMANDS] };
  const perNode = {
    connectionName: role.name,
    // Our own deadlines bound every call; ioredis' per-command retry limit would instead fail
    // commands after ~20 reconnect attempts with an error that says nothing about the call.
    maxRetriesPerRequest: null,
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    // Namespacing is taskwire's `prefix`: ioredis prefixes a script's KEYS but not the keys the
    // scripts build from the queue's base (replies hashes, inboxes, group lists), so an app's
    // keyPrefix carried over broke key-mode replies (a TIMEOUT for every call).
    keyPrefix: '',
    ...blockingOnly(role),
  } satisfies RedisOptions;
  const common = {
    ...perNode,
    ...pipelining,
    // Commands wait through a reconnect (calls up to their deadlines, start() up to its bound);
    // an app's connection may have switched the offline queue off for its own reasons.
    enableOfflineQueue: true,
    retryStrategy,
  } satisfies RedisOptions;
  const own = where.kind === 'options' ? where.options.reconnectOnError : where.kind === 'redis-instance' ? where.instance.options['reconnectOnError'] : undefined;
  const plain = { ...common, reconnectOnError: reconnectOnReadonly(own) } satisfies RedisOptions;
  const clusterCommon = {
    ...pipelining,
    enableOfflineQueue: true,
    clusterRetryStrategy: retryStrategy,
    // Connected at once even when an app's Cluster (duplicated) is lazy: until it is, a Cluster
    // knows no nodes, and reads over every primary (the admin's queue scan) would find none.
    lazyConnect: false,
    // Reads of what was just written (a stored result, a replies hash) must not go to a replica.
    scaleReads: 'master',
    ...(role.subscriber ? { shardedSubscribers: true } : {}),
  } satisfies ClusterOptions;
  // Which connection the source makes; a subscriber's is then guarded (handled-subscribes.ts).
  const conn = ((): Connection => {
    switch (where.kind) {
      case 'url':
        return refuseWrongDatabase(new Redis(where.url, { ...plain, Connector: GuardedConnector }));
      case 'options':
        return refuseWrongDatabase(new Redis({ ...where.options, ...plain, ...guarded(where.options) }));
      case 'cluster': {
        const nodeOptions = where.options.redisOptions ?? {};
        return new Cluster(where.nodes, { ...where.options, ...clusterCommon, redisOptions: { ...nodeOptions, ...perNode, ...guarded(nodeOptions) } });
      }
      case 'redis-instance':
        return refuseWrongDatabase(asConnection(where.instance.duplicate({ ...plain, ...SAME_WIRE_AS_IOREDIS_5 })));
      case 'cluster-instance': {
        // Merged by hand: ioredis 5's Cluster.duplicate replaces redisOptions (and with it the
        // app's password and TLS) instead of merging them.
        const own: unknown = where.instance.options['redisOptions'];
        const redisOptions = { ...(typeof own === 'object' && own !== null ? own : {}), ...perNode, ...SAME_WIRE_AS_IOREDIS_5 };
        return asConnection(where.instance.duplicate(undefined, { ...clusterCommon, redisOptions }));
      }
    }
  })();
  return role.subscriber ? handledSubscribes(conn) : conn;
}

/** Resolves on the connection's 'end', or after `ms`; removes its listener and timer either way. */
function endedWithin(conn: Connection, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      conn.off('end', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    conn.once('end', done);
  });
}

/**
 * Closes a connection: QUIT when Redis is there to answer (within 500 ms), else at once. A
 * connection that is reconnecting has nobody to say goodbye to, and its QUIT would only wait.
 */
export async function closeConnection(conn: Connection): Promise<void> {
  if (conn.status === 'end') return;
  if (conn.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([conn.quit(), new Promise((resolve) => (timer = setTimeout(resolve, 500)))]);
    } catch {
      // Redis went away meanwhile; nothing to say goodbye to.
    } finally {
      clearTimeout(timer);
    }
    if ((conn.status as string) === 'end') return;
  }
  const reconnecting = conn.status === 'reconnecting';
  conn.disconnect(false);
  // ioredis (5 and 6) rejects the commands it holds when a socket closes, and a connection
  // waiting to reconnect has none left to close: they would wait forever, and with them
  // whoever awaits them (a worker's close() waited on its fetchers' takes). Rejected here.
  if (reconnecting && 'recoverFromFatalError' in conn) {
    const closed = new Error('Connection is closed.');
    conn.recoverFromFatalError(closed, closed, { offlineQueue: true, commandQueue: true });
  }
  await endedWithin(conn, DISCONNECT_TIMEOUT_MS + 20);
}

/**
 * The code of an error Redis answered (`NOPERM`, `OOM`, `WRONGTYPE`, `BUSY`, `LOADING`…: the first
 * word of its message), as opposed to a lost connection (undefined). Some pass (`BUSY`,
 * `LOADING`), some do not (`NOPERM`, `WRONGTYPE`): callers decide. Recognised by name too: an
 * app's ioredis 6 answers with its own error class.
 */
export function redisErrorCode(err: unknown): string | undefined {
  const answered = err instanceof ReplyError || (err instanceof Error && err.name === 'ReplyError');
  return answered ? (/^[A-Z]+/.exec((err as Error).message)?.[0] ?? 'ERR') : undefined;
}
