import { afterEach, expect, it } from 'vitest';
import { isTaskwireError } from '../../src/index.js';
import { schedulingEnv } from './support.js';

let env: ReturnType<typeof schedulingEnv> | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

it("takes groups round-robin: a tenant's 10 calls queued behind another's 10,000 finish after a few rounds, not after the flood", async () => {
  env = schedulingEnv({ worker: { concurrency: 10 } });
  const e = env;
  // Tenant A queues 10,000 calls (queued before the worker starts), then tenant B queues 10.
  const flood: Array<Promise<unknown>> = [];
  for (let i = 0; i < 10_000; i++) flood.push(e.client.run({ tag: 'A' }, { group: 'tenant-a', timeoutMs: 120_000 }));
  await new Promise((r) => setTimeout(r, 300));
  const b = Array.from({ length: 10 }, (_, i) => e.client.run({ tag: `B${i}` }, { group: 'tenant-b', timeoutMs: 120_000 }));
  await new Promise((r) => setTimeout(r, 300));
  await e.worker.start();
  await Promise.all(b);
  // Round-robin: B's calls alternate with A's, so all of B's 10 ran within the first ~20 runs.
  const lastB = Math.max(...e.ran.map((r, i) => (r.tag.startsWith('B') ? i : -1)));
  expect(lastB).toBeLessThan(40);
  await Promise.all(flood);
  expect(e.ran).toHaveLength(10_010);
}, 60_000);

it('keeps arrival order within a group', async () => {
  env = schedulingEnv({ worker: { concurrency: 1 } });
  const calls = Array.from({ length: 5 }, (_, i) => env?.client.run({ tag: `g${i}` }, { group: 'solo' }));
  await env.worker.start();
  await Promise.all(calls);
  expect(env.ran.map((r) => r.tag)).toEqual(['g0', 'g1', 'g2', 'g3', 'g4']);
});

it('refuses an invalid group name with VALIDATION', async () => {
  env = schedulingEnv();
  for (const group of ['', 'has space', 'a{b}', 'x'.repeat(129)]) {
    const err = await env.client.run({ tag: 'x' }, { group }).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code, group).toBe('VALIDATION');
  }
});
