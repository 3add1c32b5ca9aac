import { ERROR_CODES, TaskwireError } from '../errors.js';
import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';

/**
 * What an app may pass as `redis`, and how taskwire recognises it. An app's connection is
 * recognised by what it can do, not by `instanceof`: an app on ioredis 6 (npm's newest) hands
 * taskwire objects of another copy of ioredis than taskwire's own 5.x, which `instanceof` and
 * ioredis' own types both reject (issue 13, point 1).
 */

/**
 * An ioredis `Redis` or `Cluster` the app made, from ioredis 5 or 6 (tested: 5.11.1 and 6.1.0).
 * Described by the members taskwire uses, so either version's instances type-check.
 */
export interface IoredisConnection {
  readonly isCluster: boolean;
  readonly status: string;
  readonly options: object;
  duplicate(...args: never[]): unknown;
}

export interface ClusterSource {
  cluster: ClusterNode[];
  options?: ClusterOptions;
}

/**
 * Where to find Redis: a URL, ioredis options (Sentinel too: `sentinels`, `name`), a Redis
 * Cluster (`{ cluster: [{ host, port }, ...] }`), or an ioredis `Redis` or `Cluster` to duplicate.
 */
export type RedisSource = string | RedisOptions | ClusterSource | IoredisConnection;

/** An app's `Redis`, as far as taskwire relies on it: `duplicate(override)` opens a twin. */
export interface RedisInstance {
  readonly isCluster: false;
  readonly status: string;
  readonly options: Readonly<Record<string, unknown>>;
  duplicate(override: Record<string, unknown>): unknown;
}

/** An app's `Cluster`: `duplicate(undefined, options)` opens a twin on the same startup nodes. */
export interface ClusterInstance {
  readonly isCluster: true;
  readonly status: string;
  readonly options: Readonly<Record<string, unknown>>;
  duplicate(startupNodes: undefined, options: Record<string, unknown>): unknown;
  nodes(): unknown;
}

/** A source checked and sorted once: which of the ways to name Redis it is. */
export type CheckedSource =
  | { kind: 'url'; url: string }
  | { kind: 'options'; options: RedisOptions }
  | { kind: 'cluster'; nodes: ClusterNode[]; options: ClusterOptions }
  | { kind: 'redis-instance'; instance: RedisInstance }
  | { kind: 'cluster-instance'; instance: ClusterInstance };

const ACCEPTED = 'a redis:// URL, ioredis options ({ host, port, ... }), { cluster: [{ host, port }] }, or an ioredis 5 or 6 Redis or Cluster';

function hasFunction(x: object, name: string): boolean {
  return typeof Reflect.get(x, name) === 'function';
}

/** Has the members of an ioredis connection of either kind, in ioredis 5 and 6 alike. */
function isIoredisLike(x: object): boolean {
  const options: unknown = Reflect.get(x, 'options');
  return (
    hasFunction(x, 'duplicate') &&
    typeof Reflect.get(x, 'isCluster') === 'boolean' &&
    typeof Reflect.get(x, 'status') === 'string' &&
    typeof options === 'object' &&
    options !== null
  );
}

export function isRedisInstance(x: unknown): x is RedisInstance {
  return typeof x === 'object' && x !== null && isIoredisLike(x) && Reflect.get(x, 'isCluster') === false;
}

export function isClusterInstance(x: unknown): x is ClusterInstance {
  return typeof x === 'object' && x !== null && isIoredisLike(x) && Reflect.get(x, 'isCluster') === true && hasFunction(x, 'nodes');
}

function isPlainObject(x: object): boolean {
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** A value named in an error message: its kind, never its content (it may hold a password). */
function described(x: unknown): string {
  if (x === undefined) return 'undefined';
  if (x === null) return 'null';
  if (typeof x === 'string') return x.trim() === '' ? 'an empty string' : 'a string';
  if (typeof x !== 'object') return `a ${typeof x}`;
  const ctor: unknown = Reflect.get(x, 'constructor');
  const name = typeof ctor === 'function' && ctor.name !== '' ? ctor.name : undefined;
  if (Array.isArray(x)) return 'an array';
  return name && name !== 'Object' ? `an instance of ${name}` : `an object with keys ${Object.keys(x).join(', ') || '(none)'}`;
}

/**
 * Checks what an app passed as `redis` and says which kind it is. Throws VALIDATION naming what
 * was given for what cannot be right: nothing (an unset environment variable), an empty string, a
 * URL of another scheme, options that name no server (ioredis would quietly use localhost:6379,
 * on a shared machine somebody else's Redis), or an object taskwire does not know.
 */
export function checkRedisSource(source: unknown, caller: string): CheckedSource {
  const fail = (what: string, hint = ''): never => {
    throw new TaskwireError(ERROR_CODES.VALIDATION, `${caller}: options.redis is ${what}${hint}; pass ${ACCEPTED}. taskwire never falls back to localhost:6379.`);
  };
  if (source === undefined || source === null) return fail(described(source), ' (REDIS_URL unset?)');
  if (typeof source === 'string') {
    if (source.trim() === '') return fail('an empty string', ' (REDIS_URL set but empty?)');
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(source)?.[1]?.toLowerCase();
    // ioredis reads "http://h:1" as host "http" and socket path "//h:1": say so instead.
    if (scheme !== undefined && scheme !== 'redis' && scheme !== 'rediss') return fail(`a URL of scheme "${scheme}:"`, ' (redis:// or rediss:// expected)');
    return { kind: 'url', url: source };
  }
  if (typeof source !== 'object') return fail(described(source));
  if (isRedisInstance(source)) return { kind: 'redis-instance', instance: source };
  if (isClusterInstance(source)) return { kind: 'cluster-instance', instance: source };
  if (!isPlainObject(source)) {
    const hint = hasFunction(source, 'duplicate') ? ' (it has duplicate() but not ioredis\' status and isCluster: node-redis clients are not supported)' : '';
    return fail(`${described(source)}, which taskwire does not know`, hint);
  }
  const cluster: unknown = Reflect.get(source, 'cluster');
  if (cluster !== undefined) {
    if (!Array.isArray(cluster) || cluster.length === 0) return fail('{ cluster } without startup nodes', ' (an array of { host, port } expected)');
    const options: unknown = Reflect.get(source, 'options');
    return { kind: 'cluster', nodes: cluster as ClusterNode[], options: typeof options === 'object' && options !== null ? (options as ClusterOptions) : {} };
  }
  const where = ['host', 'port', 'path', 'sentinels', 'Connector'].some((k) => Reflect.get(source, k) !== undefined);
  if (!where) return fail(`${described(source)}, naming no host, port, path or sentinels`, ' (REDIS_HOST unset? to mean localhost, say { host: "localhost", port: 6379 })');
  return { kind: 'options', options: source as RedisOptions };
}
