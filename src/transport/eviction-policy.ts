import type { Cluster } from 'ioredis';
import { redisErrorCode, type Connection } from './connection.js';

/** The one policy under which Redis never drops a key to make room: it refuses writes (OOM) instead. */
export const SAFE_EVICTION_POLICY = 'noeviction';

function isClusterConnection(conn: Connection): conn is Cluster {
  return conn.isCluster;
}

async function policyOf(node: Pick<Connection, 'info'>): Promise<string | undefined> {
  try {
    // INFO rather than CONFIG GET: managed Redis services commonly refuse CONFIG to their users.
    const info = await node.info('memory');
    return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  } catch (err) {
    // Refused (an ACL without INFO): nothing to go by. A lost connection is the caller's to see.
    if (redisErrorCode(err) !== undefined) return undefined;
    throw err;
  }
}

/**
 * The first `maxmemory-policy` other than noeviction among the servers a connection writes to
 * (each master of a cluster), or undefined when all are safe or none would say. Under any other
 * policy Redis deletes keys when memory runs short, and with them queued calls, leases and
 * results, without an error to anyone.
 */
export async function unsafeEvictionPolicy(conn: Connection): Promise<string | undefined> {
  const nodes: Array<Pick<Connection, 'info'>> = isClusterConnection(conn) ? conn.nodes('master') : [conn];
  const policies = await Promise.all(nodes.map(policyOf));
  return policies.find((p) => p !== undefined && p !== SAFE_EVICTION_POLICY);
}
