import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { createAdmin, type Admin } from '../admin/create-admin.js';
import { isWrongDatabase, refuseWrongDatabase } from '../transport/wrong-database.js';
import { CliError } from './cli-error.js';
import type { RedisTarget } from './redis-flags.js';

/** How long the CLI waits to connect, and for any one command, before it says Redis is unreachable. */
export const CONNECT_TIMEOUT_MS = 3_000;
export const COMMAND_TIMEOUT_MS = 10_000;

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
}

/**
 * With TLS, a Cluster's nodes are reached by the names given and announced, not by the IPs they
 * resolve to: ioredis would otherwise connect to `localhost`'s or `redis.example`'s IP and check
 * the certificate against that IP, which certificates naming hosts (managed clusters) do not list.
 */
const keepHostName: NonNullable<ClusterOptions['dnsLookup']> = (address, callback) => callback(null, address);

/**
 * A connection to the target with these options: one Redis (found through the sentinels, if
 * any), or a Cluster reached through the nodes named, each node with the URL's user, password
 * and TLS (its host is not used: the nodes name the hosts).
 */
function open(target: RedisTarget, options: RedisOptions, clusterOptions: ClusterOptions = {}): Redis | Cluster {
  if (!target.cluster) return new Redis(target.url, { ...target.sentinel, ...options });
  const url = new URL(target.url);
  const auth: RedisOptions = {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  const tls: ClusterOptions = url.protocol === 'rediss:' ? { dnsLookup: keepHostName } : {};
  return new Cluster(target.cluster, { lazyConnect: options.lazyConnect === true, ...tls, ...clusterOptions, redisOptions: { ...auth, ...options } });
}

/**
 * Connects once, with no retries, and PINGs, all within CONNECT_TIMEOUT_MS: an unreachable host,
 * a refused login or a TLS mismatch becomes one line now, instead of the endless reconnecting
 * that taskwire's own connections do (right for workers, wrong for a person at a prompt).
 */
export async function probe(target: RedisTarget): Promise<void> {
  let lastError: unknown;
  const redis = refuseWrongDatabase(open(
    target,
    {
      // One pass over the sentinels, like one connect attempt.
      sentinelRetryStrategy: () => null,
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      // ioredis keeps a closed socket's process alive this long (default 2 s) after disconnect().
      disconnectTimeout: 100,
    },
    // Likewise one pass over the cluster's nodes.
    { clusterRetryStrategy: () => null, enableOfflineQueue: false },
  ));
  redis.on('error', (err: unknown) => {
    lastError = err;
  });
  // A Cluster's own error only says it could not read the slots; a node's says why (WRONGPASS, ECONNREFUSED).
  let nodeError: unknown;
  redis.on('node error', (err: unknown) => {
    nodeError = err;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS + 500);
  });
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), timeout]);
  } catch (err) {
    const why = oneLine(nodeError ?? lastError ?? err);
    if (/WRONGPASS|NOAUTH|NOPERM/.test(why)) throw new CliError(`Redis at ${target.shown} refused us: ${why}`);
    if (isWrongDatabase(lastError)) throw new CliError(`Redis at ${target.shown} has no database ${new URL(target.url).pathname.slice(1)} (${why})`);
    if (/cluster support disabled/.test(why)) throw new CliError(`Redis at ${target.shown} is not a Redis Cluster (${why}): name it with --redis instead of --cluster`);
    throw new CliError(`cannot reach Redis at ${target.shown}: ${why === 'Connection is closed.' ? 'the connection was closed' : why}`);
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}

/**
 * A connection template for taskwire's own connections (which duplicate it): its
 * commandTimeout bounds every later command, so a Redis lost mid-command is an error, not a
 * hang. lazyConnect: the template itself never connects.
 */
export function boundedSource(target: RedisTarget): Redis | Cluster {
  return open(target, { lazyConnect: true, commandTimeout: COMMAND_TIMEOUT_MS, connectTimeout: CONNECT_TIMEOUT_MS, disconnectTimeout: 100 });
}

/**
 * What `taskwire worker` passes as `redis`: the URL, or with sentinels or a cluster a template
 * its connections duplicate (never connected itself), without the CLI's command timeout: a
 * worker waits through a failover like any other.
 */
export function workerSource(target: RedisTarget): string | Redis | Cluster {
  return target.sentinel || target.cluster ? open(target, { lazyConnect: true }) : target.url;
}

/** Probes Redis, then opens an admin on it. */
export async function openAdmin(target: RedisTarget): Promise<Admin> {
  await probe(target);
  const template = boundedSource(target);
  try {
    return createAdmin({ redis: template, prefix: target.prefix, ...(target.signing ? { signing: target.signing } : {}) });
  } finally {
    template.disconnect();
  }
}

/** The named queue, if it has any key under the prefix; otherwise an error naming the ones that do. */
export async function knownQueue(admin: Admin, target: RedisTarget, queue: string): Promise<string> {
  const queues = await admin.queues();
  if (queues.includes(queue)) return queue;
  if (queues.length === 0) throw noQueues(target);
  throw new CliError(`unknown queue ${JSON.stringify(queue)} under prefix "${target.prefix}" (queues: ${queues.join(', ')})`);
}

export function noQueues(target: RedisTarget): CliError {
  return new CliError(`no queue under prefix "${target.prefix}" at ${target.shown}: no key matches ${target.prefix}:{*}:* (is --prefix right? has a worker run?)`);
}
