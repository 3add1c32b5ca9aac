import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject, onTestFinished } from 'vitest';
import { queueKeys, type QueueKeys } from '../../src/wire/keys.js';
import { deleteKeysUnder } from './redis-server.js';

/** The URL of the run's Redis (private server, or REDIS_URL). */
export function redisUrl(): string {
  return inject('redisUrl');
}

/** A fresh key prefix per test: tests only ever touch keys they created. */
export function randomPrefix(): string {
  return `twtest-${randomBytes(6).toString('hex')}`;
}

/** A plain connection for assertions, and a cleanup that deletes every key under the prefix. */
export function inspector(prefix: string, url = redisUrl()): { redis: Redis; cleanup(): Promise<void> } {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  return {
    redis,
    async cleanup() {
      try {
        await deleteKeysUnder(redis, prefix);
      } finally {
        redis.disconnect();
      }
    },
  };
}

/**
 * Queues hand-written envelopes the way a producer must (docs/PROTOCOL.md, *Producers*): on the
 * wait list, with a wake-up token on the queue's marker list so a parked worker takes them now.
 */
export async function pushRaw(redis: Redis, keys: QueueKeys, ...raws: string[]): Promise<void> {
  await redis.multi().rpush(keys.wait, ...raws).rpush(keys.marker, '1').ltrim(keys.marker, 0, 0).exec();
}

/**
 * A queue's keys under a fresh prefix and a plain connection, for tests that drive scripts and
 * fragments directly; deleted and closed when the test ends.
 */
export function scratchQueue(queue = 'q'): { redis: Redis; keys: QueueKeys } {
  const prefix = randomPrefix();
  const { redis, cleanup } = inspector(prefix);
  onTestFinished(cleanup);
  return { redis, keys: queueKeys(prefix, queue) };
}
