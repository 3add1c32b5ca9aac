import { Cluster as Cluster5, Redis as Redis5 } from 'ioredis';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis6';
import { expectTypeOf, it } from 'vitest';
import type { AdminOptions, ClientOptions, WorkerOptions } from '../../src/index.js';

// Issue 13, point 1: an app's ioredis 6 `Redis` or `Cluster` did not even type-check as `redis`
// (ioredis' classes differ between versions); the README promises instances work.

it("accepts an app's ioredis 5 or 6 Redis and Cluster wherever Redis is named", () => {
  expectTypeOf<Redis6>().toExtend<WorkerOptions['redis']>();
  expectTypeOf<Cluster6>().toExtend<WorkerOptions['redis']>();
  expectTypeOf<Redis6>().toExtend<ClientOptions['redis']>();
  expectTypeOf<Cluster6>().toExtend<ClientOptions['redis']>();
  expectTypeOf<Redis6>().toExtend<AdminOptions['redis']>();
  expectTypeOf<Redis5>().toExtend<WorkerOptions['redis']>();
  expectTypeOf<Cluster5>().toExtend<ClientOptions['redis']>();
});

it('still refuses a value that may be undefined (an unset environment variable) at compile time', () => {
  expectTypeOf<string | undefined>().not.toExtend<WorkerOptions['redis']>();
  expectTypeOf<string | undefined>().not.toExtend<ClientOptions['redis']>();
});
