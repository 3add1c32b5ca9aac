import { expect, it } from 'vitest';
import { createWorker, isTaskwireError, type WorkerOptions } from '../../src/index.js';
import { contract, handlers } from '../support/fixtures.js';

// Worker options that would make a worker start and then misbehave quietly are refused where it
// is created (a review found groups: { concurrency: 0 } accepted, every grouped call then held
// until it timed out; a task's own concurrency of 0 was already refused).
const redis = 'redis://127.0.0.1:1';

it.each<[string, Partial<WorkerOptions>, RegExp]>([
  ['a concurrency of 0', { concurrency: 0 }, /concurrency must be an integer >= 1, got 0/],
  ['a fractional concurrency', { concurrency: 1.5 }, /concurrency must be an integer >= 1, got 1\.5/],
  ['a concurrency given as text', { concurrency: '4' as unknown as number }, /concurrency must be an integer >= 1, got "4"/],
  ['a lease past a timer\'s reach', { leaseMs: 3e9 }, /leaseMs must be a whole number of milliseconds from 1 to 2147483647, got 3000000000/],
  ['a negative drain time', { drainTimeoutMs: -1 }, /drainTimeoutMs must be a whole number of milliseconds from 0 to/],
  ['a heartbeat ttl shorter than its ticks', { workerTtlMs: 500 }, /workerTtlMs \(500\) must be longer than maintenanceIntervalMs \(1000\)/],
  ['a group concurrency of 0', { groups: { concurrency: 0 } }, /groups\.concurrency must be an integer >= 1, got 0/],
  ['a group rate limit of 0', { groups: { rateLimit: { max: 0, perMs: 1_000 } } }, /groups\.rateLimit\.max must be an integer >= 1, got 0/],
])('%s: VALIDATION at createWorker(), naming the option', (_name, options, message) => {
  let err: unknown;
  try {
    createWorker(contract, handlers, { redis, ...options });
  } catch (e) {
    err = e;
  }
  expect(isTaskwireError(err) && err.code).toBe('VALIDATION');
  expect((err as Error).message).toMatch(/^createWorker\(\): /);
  expect((err as Error).message).toMatch(message);
});

it('accepts what the docs and tests use: drain 0, a long ttl over a slow tick, group limits', () => {
  expect(() => createWorker(contract, handlers, { redis, drainTimeoutMs: 0, deadlineGraceMs: 0, maintenanceIntervalMs: 5_000, workerTtlMs: 20_000, groups: { concurrency: 2, rateLimit: { max: 5, perMs: 500 } } })).not.toThrow();
});
