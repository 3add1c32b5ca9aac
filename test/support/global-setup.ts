import type { TestProject } from 'vitest/node';
import { RedisServer } from './redis-server.js';

/**
 * One private redis-server for the whole run unless REDIS_URL is given. Tests get its URL via
 * provide/inject and a random key prefix each (see redis.ts), so they never touch others' data.
 * Fault tests start servers of their own.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env['REDIS_URL']) {
    project.provide('redisUrl', process.env['REDIS_URL']);
    return async () => undefined;
  }
  const server = await RedisServer.start();
  project.provide('redisUrl', server.url);
  return () => server.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
