import type { Redis } from 'ioredis';
import { withIncludes } from '../../src/transport/scripts.js';

/**
 * Runs Lua fragments alone: `-- @include` of each, then `body` (which may `return
 * cjson.encode(...)` to hand a table back whole), by EVAL on a real Redis.
 */
export async function runFragments(redis: Redis, fragments: readonly string[], body: string, keys: readonly string[] = [], args: ReadonlyArray<string | number> = []): Promise<unknown> {
  const text = withIncludes(`${fragments.map((f) => `-- @include ${f}`).join('\n')}\n${body}`);
  return redis.eval(text, keys.length, ...keys, ...args);
}

/** The same, for a body that returns `cjson.encode(value)`. */
export async function runFragmentsJson<T = unknown>(redis: Redis, fragments: readonly string[], body: string, keys: readonly string[] = [], args: ReadonlyArray<string | number> = []): Promise<T> {
  return JSON.parse(String(await runFragments(redis, fragments, body, keys, args))) as T;
}
