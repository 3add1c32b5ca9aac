import { Cluster as Cluster5, Redis as Redis5, type RedisOptions as RedisOptions5 } from 'ioredis';
import { Cluster as Cluster6, Redis as Redis6, type RedisOptions as RedisOptions6 } from 'ioredis6';
import { afterEach, expect, it } from 'vitest';
import { failureCause, failureCode, redisAddress } from '../../src/transport/redis-address.js';

// Issue 13, point 2: failures now name where taskwire tried to go. What they name is read from
// the options ioredis resolved, and never includes a user name or password. No server needed:
// every connection here is lazy and never connects.

const opened: Array<{ disconnect(): void }> = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.disconnect();
});
function lazy<T extends { disconnect(): void }>(conn: T): T {
  opened.push(conn);
  return conn;
}

/** A lazy connection of each ioredis version, from a URL or from options. */
const versions = [
  {
    url: (url: string) => lazy(new Redis5(url, { lazyConnect: true })),
    options: (options: Record<string, unknown>) => lazy(new Redis5({ ...options, lazyConnect: true } as RedisOptions5)),
    cluster: (nodes: Array<string | number | { host: string; port: number }>) => lazy(new Cluster5(nodes, { lazyConnect: true, redisOptions: { password: 'hunter2' } })),
  },
  {
    url: (url: string) => lazy(new Redis6(url, { lazyConnect: true })),
    options: (options: Record<string, unknown>) => lazy(new Redis6({ ...options, lazyConnect: true } as RedisOptions6)),
    cluster: (nodes: Array<string | number | { host: string; port: number }>) => lazy(new Cluster6(nodes, { lazyConnect: true, redisOptions: { password: 'hunter2' } })),
  },
];

it('names host:port, the socket, the cluster nodes or the Sentinel set, from ioredis 5 and 6 alike, without credentials', () => {
  for (const v of versions) {
    expect(redisAddress(v.url('redis://alice:hunter2@cache.internal:6380/2'))).toBe('cache.internal:6380');
    expect(redisAddress(v.url('rediss://:hunter2@cache.internal'))).toBe('cache.internal:6379 (TLS)');
    expect(redisAddress(v.options({ path: '/run/redis.sock', password: 'hunter2' }))).toBe('unix:/run/redis.sock');
    const sentinels = [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }];
    expect(redisAddress(v.options({ sentinels, name: 'mymaster', sentinelPassword: 'hunter2' }))).toBe('sentinels s1:26379,s2:26380 (master "mymaster")');
    expect(redisAddress(v.cluster([{ host: 'n1', port: 7000 }, 'redis://:hunter2@n2:7001', 7002]))).toBe('cluster n1:7000,n2:7001,localhost:7002');
  }
});

it('gives the cause as ioredis reported it, with the node error behind a cluster failure and the parts of an empty AggregateError', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
  expect(failureCause(refused)).toBe('connect ECONNREFUSED 127.0.0.1:6379');
  expect(failureCode(refused)).toBe('ECONNREFUSED');
  const cluster = Object.assign(new Error('Failed to refresh slots cache.'), { lastNodeError: refused });
  expect(failureCause(cluster)).toBe('Failed to refresh slots cache. (connect ECONNREFUSED 127.0.0.1:6379)');
  expect(failureCode(cluster)).toBe('ECONNREFUSED');
  // Node's happy-eyeballs connect to a name with IPv4 and IPv6 addresses: the message is empty.
  const both = Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:6379'), refused], ''), { code: 'ECONNREFUSED' });
  expect(failureCause(both)).toBe('connect ECONNREFUSED ::1:6379; connect ECONNREFUSED 127.0.0.1:6379');
  const wrongPass = Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), { name: 'ReplyError' });
  expect(failureCode(wrongPass)).toBe('WRONGPASS');
});
