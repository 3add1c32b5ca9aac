import { Cluster, Redis, ReplyError, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';
import { UNPIPELINED_COMMANDS } from './pipelining.js';

/**
 * Where to find Redis: a URL, ioredis options, a connection to duplicate, or a Redis Cluster
 * (`{ cluster: [{ host, port }, ...] }` or an ioredis Cluster). Sentinel goes through
 * RedisOptions (`sentinels`, `name`), as ioredis supports it.
 */
export type RedisSource = string | RedisOptions | Redis | Cluster | ClusterSource;

export interface ClusterSource {
  cluster: ClusterNode[];
  options?: ClusterOptions;
}

/** A connection of either kind; every key one command or script touches shares one hash tag. */
export type Connection = Redis | Cluster;

export interface ConnectionRole {
  /** Long blocking reads (BLPOP/BLMPOP) and subscriptions must not share a connection with commands. */
  blocking?: boolean;
  name: string;
}

function isClusterSource(source: RedisSource): source is ClusterSource {
  return typeof source === 'object' && !(source instanceof Redis) && !(source instanceof Cluster) && 'cluster' in source;
}

export function isCluster(source: RedisSource): boolean {
  return source instanceof Cluster || isClusterSource(source);
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
 * Opens a connection of our own for one role. A passed-in connection is duplicated, never used
 * directly: taskwire puts connections into blocking or subscriber mode and closes them.
 */
export function openConnection(source: RedisSource, role: ConnectionRole): Connection {
  // Blocking reads and subscriptions take a connection to themselves: nothing to pipeline.
  const pipelining = { enableAutoPipelining: !role.blocking, autoPipeliningIgnoredCommands: [...UNPIPELINED_COMMANDS] };
  const common = {
    connectionName: role.name,
    // Our own deadlines bound every call; ioredis' per-command retry limit would instead fail
    // commands after ~20 reconnect attempts with an error that says nothing about the call.
    maxRetriesPerRequest: null,
    ...pipelining,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    ...blockingOnly(role),
  } satisfies RedisOptions;
  if (typeof source === 'string') return new Redis(source, common);
  if (source instanceof Redis) return source.duplicate(common);
  if (source instanceof Cluster) {
    return source.duplicate(undefined, { ...pipelining, redisOptions: { connectionName: role.name, maxRetriesPerRequest: null, ...blockingOnly(role) } });
  }
  if (isClusterSource(source)) {
    return new Cluster(source.cluster, {
      ...source.options,
      ...pipelining,
      clusterRetryStrategy: common.retryStrategy,
      redisOptions: { ...source.options?.redisOptions, connectionName: role.name, maxRetriesPerRequest: null, ...blockingOnly(role) },
    });
  }
  return new Redis({ ...source, ...common });
}

/** Closes a connection, falling back to disconnect when QUIT cannot reach the server. */
export async function closeConnection(conn: Connection): Promise<void> {
  if (conn.status === 'end') return;
  try {
    await Promise.race([conn.quit(), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
  } catch {
    // Redis is gone; nothing to say goodbye to.
  }
  conn.disconnect(false);
}

/**
 * The code of an error Redis answered (`NOPERM`, `OOM`, `WRONGTYPE`, `BUSY`, `LOADING`…: the first
 * word of its message), as opposed to a lost connection (undefined). Some pass (`BUSY`,
 * `LOADING`), some do not (`NOPERM`, `WRONGTYPE`): callers decide.
 */
export function redisErrorCode(err: unknown): string | undefined {
  return err instanceof ReplyError ? (/^[A-Z]+/.exec((err as Error).message)?.[0] ?? 'ERR') : undefined;
}
