import { afterEach, expect, it } from 'vitest';
import { killAllChildren } from '../fault/support/child-process.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';
import { runLifecycle } from './support/run-lifecycle.js';

// Issue 13, point 3: a client that was never closed kept the process alive with no hint why.
// An open client must keep its process alive (its connections wait for replies), so the fix is
// to make closing easy: `await using` (Symbol.asyncDispose) on the client and the worker.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await killAllChildren();
  for (const c of cleanups.splice(0)) await c();
});

it('a worker and a client held with `await using` are closed at the end of the scope, and the process exits by itself', async () => {
  const prefix = randomPrefix();
  cleanups.push(() => inspector(prefix).cleanup());
  const run = await runLifecycle({ kind: 'await-using', url: redisUrl(), prefix }, 15_000);
  expect(run.stderr).toContain('result 5');
  expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 0, signal: null });
  expect(run.logsAfterClose).toEqual([]);
  expect(run.exitedAt - (run.closedAt ?? 0)).toBeLessThan(1_500);
}, 20_000);

it('a client never closed keeps its process alive (what the docs tell users to expect)', async () => {
  const prefix = randomPrefix();
  cleanups.push(() => inspector(prefix).cleanup());
  const run = await runLifecycle({ kind: 'open-client', url: redisUrl(), prefix }, 5_000);
  expect(run.stderr).toContain('called');
  expect(run.code).toBeNull();
}, 10_000);
