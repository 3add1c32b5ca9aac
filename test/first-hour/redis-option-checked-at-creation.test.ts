import { describe, expect, it } from 'vitest';
import { createAdmin, createClient, createWorker, type RedisSource } from '../../src/index.js';
import { contract, handlers, quietLogger } from '../support/fixtures.js';

// Issue 13, point 2: `{ redis: process.env.REDIS_URL }` with the variable unset silently
// connected to localhost:6379, on a shared machine somebody else's Redis; an object taskwire did
// not know was spread into ioredis options and went there too. Both are mistakes in the code
// that creates the worker or client, so they throw there (VALIDATION, as task() and router() do
// for theirs), before anything connects.

/** What plain-JS callers, casts and environment variables can hand over. */
const given = (x: unknown) => x as RedisSource;

const creators = {
  'createWorker()': (redis: RedisSource) => createWorker(contract, handlers, { redis, logger: quietLogger }),
  'createClient()': (redis: RedisSource) => createClient(contract, { redis, logger: quietLogger }),
  'createAdmin()': (redis: RedisSource) => createAdmin({ redis }),
};

describe.each(Object.entries(creators))('%s', (name, create) => {
  it('throws VALIDATION for an absent redis option, hinting at an unset REDIS_URL', () => {
    expect(() => create(given(undefined))).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => create(given(undefined))).toThrow(`${name}: options.redis is undefined (REDIS_URL unset?)`);
    expect(() => create(given(undefined))).toThrow('never falls back to localhost:6379');
    expect(() => create(given(null))).toThrow(/options\.redis is null/);
  });

  it('throws for an empty URL and for a URL of another scheme', () => {
    expect(() => create('')).toThrow(/options\.redis is an empty string \(REDIS_URL set but empty\?\)/);
    expect(() => create('http://user:hunter2@redis.example:6379')).toThrow(/a URL of scheme "http:"/);
    // The URL may carry a password: the message never repeats it.
    expect(() => create('http://user:hunter2@redis.example:6379')).not.toThrow(/hunter2/);
  });

  it('throws for options that name no server, which ioredis would send to localhost:6379', () => {
    expect(() => create({})).toThrow(/naming no host, port, path or sentinels \(REDIS_HOST unset\?/);
    expect(() => create({ host: undefined, password: 'hunter2' })).toThrow(/an object with keys host, password, naming no host/);
    expect(() => create({ host: undefined, password: 'hunter2' })).not.toThrow(/hunter2/);
  });

  it('throws for an object it does not know, naming what it is', () => {
    expect(() => create(given(new URL('redis://127.0.0.1:6379')))).toThrow(/options\.redis is an instance of URL, which taskwire does not know/);
    expect(() => create(given(6379))).toThrow(/options\.redis is a number/);
    expect(() => create(given([{ host: '127.0.0.1', port: 6379 }]))).toThrow(/options\.redis is an array/);
    expect(() => create(given({ cluster: [] }))).toThrow(/\{ cluster \} without startup nodes/);
    // A node-redis client has duplicate() and options, but none of ioredis' status and isCluster.
    class NodeRedisClient {
      readonly options = { url: 'redis://127.0.0.1:6379' };
      readonly isOpen = false;
      duplicate(): NodeRedisClient {
        return new NodeRedisClient();
      }
    }
    expect(() => create(given(new NodeRedisClient()))).toThrow(/an instance of NodeRedisClient.*node-redis clients are not supported/);
  });
});
