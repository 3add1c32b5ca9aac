import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createWorker, isTaskwireError, router, task, type TaskContext } from '../../src/index.js';
import { routes as generatedRoutes } from '../codegen/basic/expected.golden.js';
import { contract as basicContract } from '../codegen/basic/contract.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

/** Child calls through ctx.client (src/worker/child-calls.ts). */

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const kids = router({
  echo: task({ input: z.object({ n: z.number() }), output: z.number(), queue: 'kids' }),
  flaky: task({ input: z.object({ n: z.number() }), output: z.number(), queue: 'kids' }),
  hold: task({ input: z.object({}), output: z.null(), queue: 'kids' }),
});
const other = router({ shout: task({ input: z.string(), output: z.string(), queue: 'others' }) });
const parents = router({
  parent: task({
    input: z.object({ mode: z.enum(['seen', 'retry', 'keys', 'cancel', 'other', 'badKey', 'detached', 'generated']) }),
    output: z.unknown(),
    retry: { attempts: 3, backoffMs: 10 },
    queue: 'parents',
  }),
  ...kids,
});

interface Seen {
  deadline: number;
  headers: Readonly<Record<string, string>>;
  signal: AbortSignal;
}

async function start() {
  const prefix = randomPrefix();
  const runs = new Map<string, number>();
  const count = (name: string) => runs.set(name, (runs.get(name) ?? 0) + 1);
  const seen: Seen[] = [];
  const parentCtx: Array<TaskContext> = [];
  let flakyFails = 1;
  const worker = createWorker(
    parents,
    {
      parent: async ({ mode }, ctx) => {
        count(`parent:${ctx.attempt}`);
        parentCtx.push(ctx);
        switch (mode) {
          case 'seen':
            return await ctx.client.echo({ n: 1 });
          case 'retry': {
            const a = await ctx.client.echo({ n: 1 });
            const b = await ctx.client.flaky({ n: 2 });
            return a + b;
          }
          case 'keys': {
            // The same key on every attempt: one child, whatever the order of the calls around it.
            if (ctx.attempt === 1) await ctx.client.echo({ n: 5 });
            const v = await ctx.client.echo({ n: 7 }, { key: 'the-seven' });
            if (ctx.attempt === 1) throw new Error('once more');
            return v;
          }
          case 'cancel':
            return await ctx.client.hold({});
          case 'other':
            return await ctx.clientOf(other).shout('hi');
          case 'badKey':
            return await ctx.client.echo({ n: 1 }, { key: 'no spaces' }).catch((e: unknown) => (isTaskwireError(e) ? e.code : 'other'));
          case 'detached': {
            const h = await ctx.client.echo.send({ n: 9 }, { key: 'bg' });
            if (ctx.attempt === 1) throw new Error('once more');
            return { id: h.id, value: await h.result() };
          }
          case 'generated':
            return await ctx.clientOf(generatedRoutes).math.add({ a: 2, b: 3 });
        }
      },
      echo: ({ n }, ctx) => {
        count(`echo:${n}`);
        seen.push({ deadline: ctx.deadline, headers: ctx.headers, signal: ctx.signal });
        return n;
      },
      flaky: ({ n }) => {
        count(`flaky:${n}`);
        if (flakyFails-- > 0) throw new Error('flaky');
        return n;
      },
      hold: async (_, ctx) => {
        count('hold');
        seen.push({ deadline: ctx.deadline, headers: ctx.headers, signal: ctx.signal });
        await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
        return null;
      },
    },
    { redis: redisUrl(), prefix, logger: quietLogger, concurrency: 8 },
  );
  const others = createWorker(other, { shout: (s) => s.toUpperCase() }, { redis: redisUrl(), prefix, logger: quietLogger });
  // Serves the contract the generated client of test/codegen/basic was made from.
  const basic = createWorker(
    basicContract,
    {
      tasks: { resize: ({ url }) => ({ url, bytes: 0 }) },
      math: { add: ({ a, b }) => a + b, ping: () => 'pong' as const },
      users: {
        get: () => {
          throw new Error('not here');
        },
      },
    },
    { redis: redisUrl(), prefix, logger: quietLogger, queues: ['default'] },
  );
  await Promise.all([worker.start(), others.start(), basic.start()]);
  const client = createClient(parents, { redis: redisUrl(), prefix });
  const insp = inspector(prefix);
  cleanups.push(async () => {
    await client.$close();
    await Promise.all([worker.close({ drainTimeoutMs: 200 }), others.close(), basic.close()]);
    await insp.cleanup();
  });
  return { client, runs, seen, parentCtx, redis: insp.redis, prefix };
}

it('gives a child its parent\'s deadline (never later) and headers', async () => {
  const { client, seen, parentCtx } = await start();
  await expect(client.parent({ mode: 'seen' }, { timeoutMs: 4_000, headers: { trace: 't-1' } })).resolves.toBe(1);
  expect(seen[0]?.deadline).toBeLessThanOrEqual(parentCtx[0]?.deadline ?? 0);
  expect(seen[0]?.deadline).toBeGreaterThan(Date.now());
  expect(seen[0]?.headers).toMatchObject({ trace: 't-1' });
});

it('reuses a succeeded child on the parent\'s retry and runs a failed one again', async () => {
  const { client, runs } = await start();
  await expect(client.parent({ mode: 'retry' })).resolves.toBe(3);
  expect(runs.get('parent:1')).toBe(1);
  expect(runs.get('parent:2')).toBe(1);
  expect(runs.get('echo:1')).toBe(1);
  expect(runs.get('flaky:2')).toBe(2);
});

it('runs a child with an explicit key once across attempts, whatever its position', async () => {
  const { client, runs } = await start();
  await expect(client.parent({ mode: 'keys' })).resolves.toBe(7);
  expect(runs.get('echo:7')).toBe(1);
});

it('cancels the children of a cancelled parent', async () => {
  const { client, runs, seen } = await start();
  const abort = new AbortController();
  const call = client.parent({ mode: 'cancel' }, { signal: abort.signal });
  await expect.poll(() => runs.get('hold'), { timeout: 5_000 }).toBe(1);
  abort.abort();
  await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
  await expect.poll(() => seen[0]?.signal.aborted, { timeout: 5_000 }).toBe(true);
  expect(isTaskwireError(seen[0]?.signal.reason) && seen[0]?.signal.reason.code).toBe('CANCELLED');
});

it('calls another contract with ctx.clientOf', async () => {
  const { client } = await start();
  await expect(client.parent({ mode: 'other' })).resolves.toBe('HI');
});

it('calls a generated client\'s tasks with ctx.clientOf(routes)', async () => {
  const { client } = await start();
  await expect(client.parent({ mode: 'generated' })).resolves.toBe(5);
});

it('refuses a child key outside its alphabet with VALIDATION', async () => {
  const { client } = await start();
  await expect(client.parent({ mode: 'badKey' })).resolves.toBe('VALIDATION');
});

it('sends a detached child once: the retried parent gets the same handle', async () => {
  const { client, runs } = await start();
  const out = (await client.parent({ mode: 'detached' })) as { id: string; value: number };
  expect(out.value).toBe(9);
  expect(runs.get('echo:9')).toBe(1);
  expect(out.id).toMatch(/\/k:bg$/);
});
