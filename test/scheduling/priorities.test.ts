import { afterEach, expect, it } from 'vitest';
import { isTaskwireError } from '../../src/index.js';
import { schedulingEnv } from './support.js';

let env: ReturnType<typeof schedulingEnv> | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

it('takes a backlog in priority order: no priority first, then 1, 2, 3; the task default applies', async () => {
  env = schedulingEnv({ worker: { concurrency: 1 } });
  const calls = [
    env.client.run({ tag: 'p3' }, { priority: 3 }),
    env.client.run({ tag: 'p2' }, { priority: 2 }),
    env.client.run({ tag: 'none' }),
    env.client.urgent({ tag: 'task-default-1' }),
    env.client.run({ tag: 'p2b' }, { priority: 2 }),
  ];
  await new Promise((r) => setTimeout(r, 100));
  await env.worker.start();
  await Promise.all(calls);
  expect(env.ran.map((r) => r.tag)).toEqual(['none', 'task-default-1', 'p2', 'p2b', 'p3']);
});

it('bounds how long a less urgent call waits behind a steady flood of urgent ones (aging)', async () => {
  // Aging of 100 ms per priority level: a call of priority 5 is due 500 ms after it was sent and
  // then goes before the flood.
  env = schedulingEnv({ worker: { concurrency: 2 }, client: { priorityAgingMs: 100 } });
  await env.worker.start();
  let flooding = true;
  const e = env;
  // 100 lanes of 20 ms calls against two slots: ~50x what the worker runs, so the wait list
  // never empties.
  const flood = Array.from({ length: 100 }, async () => {
    while (flooding) await e.client.run({ tag: 'flood', ms: 20 }, { timeoutMs: 60_000 }).catch(() => undefined);
  });
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  await e.client.run({ tag: 'low' }, { priority: 5, timeoutMs: 20_000 });
  const waited = Date.now() - t0;
  flooding = false;
  await Promise.all(flood);
  // Due after 500 ms, then taken with the next free slot (calls of 20 ms).
  expect(waited).toBeGreaterThanOrEqual(450);
  expect(waited).toBeLessThan(1_200);
});

it('refuses a priority out of range, and a priority with a group, with VALIDATION', async () => {
  env = schedulingEnv();
  for (const options of [{ priority: 0 }, { priority: 1.5 }, { priority: 2_097_153 }, { priority: 1, group: 'acme' }]) {
    const err = await env.client.run({ tag: 'x' }, options).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code, JSON.stringify(options)).toBe('VALIDATION');
  }
});
