import type { Command } from 'commander';
import { DEFAULTS } from '../wire/protocol.js';
import type { CliIo } from './cli-io.js';
import { usageError } from './cli-error.js';

/**
 * Where a command finds Redis, from `--redis`/`REDIS_URL` and `--prefix`/`TASKWIRE_PREFIX`.
 * Parsing only: connecting (redis-connect.ts) loads ioredis, which a command imports when it runs,
 * so `taskwire --help` and `taskwire codegen` start without it.
 */
export interface RedisTarget {
  /** With `sentinel` or `cluster`, only its user, password, db and TLS (rediss:) apply: they name the hosts. */
  readonly url: string;
  /** From `--sentinels` and `--sentinel-name` (or TASKWIRE_SENTINELS, TASKWIRE_SENTINEL_NAME): ioredis' Sentinel options. */
  readonly sentinel?: SentinelTarget;
  /** From `--cluster` (or TASKWIRE_CLUSTER): some nodes of a Redis Cluster, which name the others. */
  readonly cluster?: Array<{ host: string; port: number }>;
  /** The URL with its password masked, for messages. */
  readonly shown: string;
  readonly prefix: string;
  /**
   * Signing keys from TASKWIRE_SIGNING_KEYS ("id=secret,id2=secret2") and TASKWIRE_SIGNING_CURRENT
   * (default: the first id): what the CLI writes (a replay, a call) is signed for workers that
   * check signatures, and replies are checked (docs/SECURITY.md, *Signing*).
   */
  readonly signing?: { keys: Record<string, string>; current: string };
}

export interface SentinelTarget {
  sentinels: Array<{ host: string; port: number }>;
  name: string;
}

export interface RedisFlags {
  redis?: string;
  prefix?: string;
  sentinels?: string;
  sentinelName?: string;
  cluster?: string;
}

/** Adds `--redis` and `--prefix` to a command that talks to Redis. */
export function redisOptions(cmd: Command): Command {
  return cmd
    .option('--redis <url>', 'redis:// or rediss:// URL, user and password included (default: $REDIS_URL or redis://127.0.0.1:6379); with --sentinels only its user, password, db and rediss: apply')
    .option('--sentinels <host:port,...>', 'find the primary through these Redis Sentinels (default: $TASKWIRE_SENTINELS); needs --sentinel-name')
    .option('--sentinel-name <name>', 'the master name the sentinels monitor (default: $TASKWIRE_SENTINEL_NAME)')
    .option('--cluster <host:port,...>', 'some nodes of a Redis Cluster, which name the others (default: $TASKWIRE_CLUSTER); with it only the user, password and rediss: of --redis apply')
    .option('--prefix <prefix>', `key prefix the clients and workers use (default: $TASKWIRE_PREFIX or "${DEFAULTS.prefix}")`);
}

function mask(url: URL): string {
  if (url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.password = '***';
  return copy.href;
}

export function redisTarget(flags: RedisFlags, io: CliIo): RedisTarget {
  const text = flags.redis ?? io.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`bad Redis URL ${JSON.stringify(text)}: write redis://[user:password@]host:port[/db] or rediss://…`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw usageError(`bad Redis URL ${JSON.stringify(mask(url))}: the scheme must be redis:// or rediss://`);
  }
  const prefix = flags.prefix ?? io.env['TASKWIRE_PREFIX'] ?? DEFAULTS.prefix;
  if (prefix === '' || /[{}\s]/.test(prefix)) throw usageError(`bad prefix ${JSON.stringify(prefix)}: it must be non-empty, without braces or spaces`);
  const signing = signingFromEnv(io.env);
  const sentinel = sentinelTarget(flags.sentinels ?? io.env['TASKWIRE_SENTINELS'], flags.sentinelName ?? io.env['TASKWIRE_SENTINEL_NAME']);
  const clusterList = flags.cluster ?? io.env['TASKWIRE_CLUSTER'];
  if (clusterList !== undefined && clusterList !== '') {
    if (sentinel) throw usageError('--cluster and --sentinels name two kinds of Redis: give one');
    const cluster = addresses(clusterList, 'cluster node');
    return { url: text, cluster, shown: `cluster ${cluster.map((n) => `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`).join(',')}`, prefix, ...(signing ? { signing } : {}) };
  }
  if (!sentinel) return { url: text, shown: mask(url), prefix, ...(signing ? { signing } : {}) };
  const shown = `sentinels ${sentinel.sentinels.map((s) => `${s.host}:${s.port}`).join(',')} (master "${sentinel.name}")`;
  return { url: text, sentinel, shown, prefix, ...(signing ? { signing } : {}) };
}

/** `host:port,host:port` and a master name, both or neither (empty counts as unset). */
function sentinelTarget(list: string | undefined, name: string | undefined): SentinelTarget | undefined {
  const given = list !== undefined && list !== '';
  const named = name !== undefined && name !== '';
  if (!given && !named) return undefined;
  if (!given) throw usageError('--sentinel-name needs --sentinels host:port[,host:port…] (or TASKWIRE_SENTINELS)');
  if (!named) throw usageError('--sentinels needs --sentinel-name, the master name the sentinels monitor (or TASKWIRE_SENTINEL_NAME)');
  return { sentinels: addresses(list, 'sentinel'), name };
}

/** `host:port,host:port` (IPv6 hosts in brackets). */
function addresses(list: string, what: string): Array<{ host: string; port: number }> {
  return list.split(',').map((part) => {
    const m = /^\s*(\[[^\]]+\]|[^:\s]+):(\d{1,5})\s*$/.exec(part);
    const port = Number(m?.[2]);
    if (!m?.[1] || !(port > 0 && port < 65536)) throw usageError(`bad ${what} address ${JSON.stringify(part)}: write host:port[,host:port…]`);
    return { host: m[1].replace(/^\[|\]$/g, ''), port };
  });
}

function signingFromEnv(env: Readonly<Record<string, string | undefined>>): { keys: Record<string, string>; current: string } | undefined {
  const text = env['TASKWIRE_SIGNING_KEYS'];
  if (text === undefined || text === '') return undefined;
  const keys: Record<string, string> = {};
  for (const part of text.split(',')) {
    const at = part.indexOf('=');
    if (at <= 0) throw usageError('bad TASKWIRE_SIGNING_KEYS: write id=secret[,id2=secret2]');
    keys[part.slice(0, at).trim()] = part.slice(at + 1);
  }
  const current = env['TASKWIRE_SIGNING_CURRENT'] ?? Object.keys(keys)[0] ?? '';
  if (!(current in keys)) throw usageError(`bad TASKWIRE_SIGNING_CURRENT ${JSON.stringify(current)}: it is not one of the ids in TASKWIRE_SIGNING_KEYS`);
  return { keys, current };
}
