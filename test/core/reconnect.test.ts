import { afterEach, expect, it } from 'vitest';
import { queueKeys } from '../../src/wire/keys.js';
import { setup } from '../support/fixtures.js';

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

it('a caller that reconnects finds a result waiting at its reply key even if the inbox notice was lost', async () => {
  env = await setup({ startWorker: false, client: { noWorkers: 'wait' } });
  const keys = queueKeys(env.prefix, 'default');
  const call = env.client.math.add({ a: 20, b: 22 }, { timeoutMs: 5000 });
  // Play the worker by hand: take the call and store its reply, but send no inbox notice.
  await expect.poll(() => env.redis.llen(keys.wait)).toBe(1);
  const env1 = JSON.parse((await env.redis.lpop(keys.wait)) ?? '{}') as { id: string };
  await env.redis.set(keys.reply(env1.id), JSON.stringify({ v: 1, id: env1.id, ok: true, output: { json: 42 } }), 'PX', 10_000);
  expect(await killConnections(env.redis, `tw-client-${env.client.$id}`)).toBe(2);
  expect(await call).toBe(42);
  expect(await env.redis.exists(keys.reply(env1.id))).toBe(0);
});

it('a worker whose connections were killed resumes taking calls', async () => {
  env = await setup();
  expect(await env.client.math.add({ a: 1, b: 1 })).toBe(2);
  expect(await killConnections(env.redis, `tw-worker-${env.worker.id}`)).toBeGreaterThanOrEqual(3);
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => env.client.math.add({ a: i, b: 0 }, { timeoutMs: 5000 })));
  expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i));
});
