import { Redis, type RedisOptions } from 'ioredis';

/** Where to find Redis: a URL, ioredis options, or a connection to duplicate. */
export type RedisSource = string | RedisOptions | Redis;

export interface ConnectionRole {
  /** Long blocking reads (BLMOVE/BLMPOP) and subscriptions must not share a connection with commands. */
  blocking?: boolean;
  name: string;
}

/**
 * Opens a connection of our own for one role. A passed-in Redis is duplicated, never used
 * directly: taskwire puts connections into blocking or subscriber mode and closes them.
 */
export function openConnection(source: RedisSource, role: ConnectionRole): Redis {
  const common: RedisOptions = {
    connectionName: role.name,
    // Our own deadlines bound every call; ioredis' per-command retry limit would instead fail
    // commands after ~20 reconnect attempts with an error that says nothing about the call.
    maxRetriesPerRequest: null,
    enableAutoPipelining: !role.blocking,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    lazyConnect: false,
  };
  if (typeof source === 'string') return new Redis(source, common);
  if (source instanceof Redis) return source.duplicate(common);
  return new Redis({ ...source, ...common });
}

/** Closes a connection, falling back to disconnect when QUIT cannot reach the server. */
export async function closeConnection(conn: Redis): Promise<void> {
  if (conn.status === 'end') return;
  try {
    await Promise.race([conn.quit(), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
  } catch {
    // Redis is gone; nothing to say goodbye to.
  }
  conn.disconnect(false);
}
