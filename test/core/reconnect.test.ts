import { afterEach, expect, it } from 'vitest';
import { queueKeys } from '../../src/wire/keys.js';
import { setup } from '../support/fixtures.js';
import { monitorCommands } from '../support/monitor.js';
import { redisUrl } from '../support/redis.js';

let env: Awaited<ReturnType<typeof setup>>;
afterEach(async () => env?.cleanup());

async function killConnections(redis: typeof env.redis, namePart: string): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  let n = 0;
  for (const line of list.split('\n')) {
    const id = /\bid=(\d+)/.exec(line)?.[1];
    if (id && line.includes(`name=${namePart}`)) {
      await redis.client('KILL', 'ID', id);
      n++;
    }
  }
  return n;
}

it('a caller that reconnects finds a result waiting in its replies hash even if the inbox entry was lost, and deletes the replies of calls that ended', async () => {
  env = await setup({ startWorker: false, client: { noWorkers: 'wait' } });
  const keys = queueKeys(env.prefix, 'default');
  const call = env.client.math.add({ a: 20, b: 22 }, { timeoutMs: 5000 });
  // Play the worker by hand: take the call and keep its reply in the client's replies hash, as
  // complete-4.lua does, but push nothing on the inbox (as if BLMPOP's answer was lost).
  await expect.poll(() => env.redis.llen(keys.wait)).toBe(1);
  const env1 = JSON.parse((await env.redis.lpop(keys.wait)) ?? '{}') as { id: string };
  const hash = keys.replies(env.client.$id);
  await env.redis.hset(hash, env1.id, JSON.stringify({ v: 1, id: env1.id, ok: true, output: { json: 42 } }));
  // And the reply of a call that timed out meanwhile: nobody will pop it, so the sweep deletes it.
  await env.redis.hset(hash, `${env.client.$id}.zz`, JSON.stringify({ v: 1, id: `${env.client.$id}.zz`, ok: true, output: { json: 1 } }));
  await env.redis.pexpire(hash, 60_000);
  expect(await killConnections(env.redis, `tw-client-${env.client.$id}`)).toBe(2);
  expect(await call).toBe(42);
  await expect.poll(() => env.redis.exists(hash)).toBe(0);
});

it('the sweep reads a replies hash of thousands in bounded answers', async () => {
  env = await setup({ startWorker: false, client: { noWorkers: 'wait' } });
  const keys = queueKeys(env.prefix, 'default');
  const calls = Array.from({ length: 50 }, (_, i) => env.client.math.add({ a: i, b: 1 }, { timeoutMs: 8000 }));
  await expect.poll(() => env.redis.llen(keys.wait)).toBe(50);
  const ids = (await env.redis.lpop(keys.wait, 50))!.map((raw) => (JSON.parse(raw) as { id: string }).id);
  const hash = keys.replies(env.client.$id);
  // 3,000 fields (so HSCAN takes several rounds) of which 50 answer the pending calls.
  const fields: string[] = [];
  for (let i = 0; i < 2950; i++) fields.push(`old.${i}`, JSON.stringify({ v: 1, id: `old.${i}`, ok: true, output: { json: -1 } }));
  ids.forEach((id, i) => fields.push(id, JSON.stringify({ v: 1, id, ok: true, output: { json: i + 1 } })));
  await env.redis.hset(hash, ...fields);
  const monitor = await monitorCommands(redisUrl(), env.prefix);
  try {
    expect(await killConnections(env.redis, `tw-client-${env.client.$id}`)).toBe(2);
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await expect.poll(() => env.redis.exists(hash)).toBe(0);
  } finally {
    monitor.stop();
  }
  // Several HSCAN rounds, each followed by an HDEL of what it read; no HGETALL.
  const names = monitor.seen.filter((c) => c.args[1] === hash).map((c) => c.args[0]?.toLowerCase());
  expect(names.filter((n) => n === 'hscan').length).toBeGreaterThanOrEqual(2);
  expect(names).not.toContain('hgetall');
  expect(names.filter((n) => n === 'hdel').length).toBeGreaterThanOrEqual(2);
});

it('a worker whose connections were killed resumes taking calls', async () => {
  env = await setup();
  expect(await env.client.math.add({ a: 1, b: 1 })).toBe(2);
  const killed = await killConnections(env.redis, `tw-worker-${env.worker.id}`);
  expect(killed).toBeGreaterThanOrEqual(3);
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => env.client.math.add({ a: i, b: 0 }, { timeoutMs: 5000 })));
  expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i));
  // Every killed connection is back (the calls needed only some of them) before the cleanup closes
  // the worker: the final CI-like run once saw 7 unhandled 'Connection is closed' rejections from
  // connections closed in the middle of their reconnect (not reproduced alone; see the session note).
  const back = async () => ((await env.redis.client('LIST')) as string).split('\n').filter((l) => l.includes(`name=tw-worker-${env.worker.id}`)).length;
  await expect.poll(back, { timeout: 5_000 }).toBeGreaterThanOrEqual(killed);
});
