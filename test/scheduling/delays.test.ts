import { afterEach, expect, it } from 'vitest';
import { isTaskwireError } from '../../src/index.js';
import { queueKeys } from '../../src/wire/keys.js';
import { schedulingEnv } from './support.js';

let env: ReturnType<typeof schedulingEnv> | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

it('runs a delayed call no earlier than its delay and close after it, also on a parked worker', async () => {
  env = schedulingEnv();
  await env.worker.start();
  await new Promise((r) => setTimeout(r, 100)); // parked
  const t0 = Date.now();
  const calls = [200, 400, 700].map((delayMs) => env?.client.run({ tag: `d${delayMs}` }, { delayMs }));
  await Promise.all(calls);
  const late = env.ran.map((r) => r.at - t0 - Number(r.tag.slice(1)));
  expect(env.ran.map((r) => r.tag)).toEqual(['d200', 'd400', 'd700']);
  // Never early; late by a park's wake-up and a take, not by the 1 s maintenance tick.
  for (const ms of late) {
    expect(ms).toBeGreaterThanOrEqual(-5);
    expect(ms).toBeLessThan(150);
  }
});

it('runs a call whose runAt has passed at once, and one in the future at that time', async () => {
  env = schedulingEnv();
  await env.worker.start();
  const t0 = Date.now();
  expect(await env.client.run({ tag: 'past' }, { runAt: new Date(t0 - 60_000) })).toBe('past');
  expect(Date.now() - t0).toBeLessThan(300);
  const at = new Date(Date.now() + 300);
  await env.client.run({ tag: 'future' }, { runAt: at });
  const ran = env.ran.find((r) => r.tag === 'future');
  expect((ran?.at ?? 0) - at.getTime()).toBeGreaterThanOrEqual(-5);
});

it("counts a delayed call's deadline from when it is due", async () => {
  env = schedulingEnv();
  await env.worker.start();
  // 500 ms of delay, 300 ms of timeout: a deadline counted from the call would have passed.
  expect(await env.client.run({ tag: 'x', ms: 50 }, { delayMs: 500, timeoutMs: 300 })).toBe('x');
});

it('withdraws a delayed call cancelled before it is due: it never runs', async () => {
  env = schedulingEnv();
  await env.worker.start();
  const abort = new AbortController();
  const call = env.client.run({ tag: 'never' }, { delayMs: 400, signal: abort.signal }).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 100));
  const keys = queueKeys(env.prefix, 'sched');
  expect(await env.redis.zcard(keys.delayed)).toBe(1);
  abort.abort();
  expect(isTaskwireError(await call) && ((await call) as { code: string }).code).toBe('CANCELLED');
  await expect.poll(() => env?.redis.zcard(keys.delayed)).toBe(0);
  await new Promise((r) => setTimeout(r, 500));
  expect(env.ran).toEqual([]);
});

it('refuses bad delays with VALIDATION, sending nothing', async () => {
  env = schedulingEnv();
  const code = async (p: Promise<unknown>) => {
    const err = await p.catch((e: unknown) => e);
    return isTaskwireError(err) ? `${err.code}: ${err.message}` : 'no error';
  };
  expect(await code(env.client.run({ tag: 'x' }, { delayMs: -1 }))).toMatch(/^VALIDATION: run: delayMs must be/);
  expect(await code(env.client.run({ tag: 'x' }, { delayMs: Number.NaN }))).toMatch(/^VALIDATION/);
  expect(await code(env.client.run({ tag: 'x' }, { delayMs: 1, runAt: new Date() }))).toMatch(/delayMs or runAt, not both/);
  expect(await code(env.client.run({ tag: 'x' }, { runAt: new Date('nope') }))).toMatch(/runAt must be a valid Date/);
  expect(await code(env.client.run({ tag: 'x' }, { delayMs: 30 * 86_400_000 }))).toMatch(/at most 2147483647 ms/);
  expect(await code(env.client.run({ tag: 'x' }, { timeoutMs: 2 ** 31 }))).toMatch(/timeoutMs must be at most/);
  expect(await env.redis.keys(`${env.prefix}:*`)).toEqual([]);
});
