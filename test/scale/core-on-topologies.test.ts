import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdmin, createClient, createWorker, isTaskError, isTaskwireError, router, task, type Admin, type Worker } from '../../src/index.js';
import { quietLogger } from '../support/fixtures.js';
import { randomPrefix } from '../support/redis.js';
import { topologies, type StartedTopology } from './topologies.js';

/** One suite, every topology: the core behaviours of a call, with queues spread over shards on a Cluster. */
const contract = router({
  echo: task({ input: z.object({ n: z.number() }), output: z.object({ n: z.number(), at: z.date() }), queue: 'alpha' }),
  odd: task({ input: z.object({ n: z.number() }), output: z.bigint(), queue: 'beta', errors: { ODD: z.object({ n: z.number() }) } }),
  flaky: task({ input: z.object({ n: z.number() }), output: z.number(), queue: 'gamma', retry: { attempts: 2, backoffMs: 10 } }),
  slow: task({ input: z.object({ id: z.string(), ms: z.number() }), output: z.string(), queue: 'delta' }),
  square: task({ input: z.object({ n: z.number(), at: z.date() }), output: z.number(), queue: 'beta' }),
});

const code = (e: unknown) => (isTaskwireError(e) ? e.code : String(e));

describe.each(topologies)('core behaviours on $name', (topology) => {
  let started: StartedTopology | undefined;
  let worker: Worker | undefined;
  let client: ReturnType<typeof createClient<typeof contract>> | undefined;
  let admin: Admin | undefined;
  const runs = new Map<string, number>();
  const aborted = new Set<string>();
  const ran = (id: string) => runs.set(id, (runs.get(id) ?? 0) + 1);

  beforeAll(async () => {
    started = await topology.start();
    const { redis } = started;
    const prefix = randomPrefix();
    let flakyRuns = 0;
    worker = createWorker(
      contract,
      {
        echo: ({ n }) => {
          ran(`echo${n}`);
          return { n, at: new Date(n) };
        },
        odd: ({ n }, ctx) => {
          if (n % 2) throw ctx.error('ODD', { n });
          return BigInt(n) ** 3n;
        },
        flaky: ({ n }) => {
          if (n < 0) throw new Error('always fails');
          if (++flakyRuns % 2) throw new Error('flaky');
          return n;
        },
        slow: async ({ id, ms }, ctx) => {
          ran(id);
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, ms);
            // Stopped as a handler that honours its signal is: with the signal's reason (TIMEOUT at
            // the deadline). Returning normally here made the 'late' call's success reply race the
            // caller's own deadline timer (same instant, same process), and win now and then.
            ctx.signal.addEventListener('abort', () => {
              aborted.add(id);
              clearTimeout(timer);
              reject(ctx.signal.reason);
            });
          });
          return id;
        },
        square: ({ n }) => n * n,
      },
      { redis, prefix, concurrency: 16, logger: quietLogger, maintenanceIntervalMs: 100 },
    );
    await worker.start();
    client = createClient(contract, { redis, prefix });
    admin = createAdmin({ redis, prefix });
  });

  afterAll(async () => {
    await client?.$close();
    await worker?.close();
    await admin?.close();
    await started?.stop();
  });

  const c = () => {
    if (!client) throw new Error('client not started');
    return client;
  };
  const a = () => {
    if (!admin) throw new Error('admin not started');
    return admin;
  };

  it('answers calls in key and pubsub reply mode', async () => {
    const keyMode = await Promise.all(Array.from({ length: 40 }, (_, n) => c().echo({ n })));
    expect(keyMode.map((r) => r.at.getTime())).toEqual(Array.from({ length: 40 }, (_, n) => n));
    const pubsub = await Promise.all(Array.from({ length: 40 }, (_, n) => c().echo({ n: 100 + n }, { replyMode: 'pubsub' })));
    expect(pubsub.map((r) => r.n)).toEqual(Array.from({ length: 40 }, (_, n) => 100 + n));
  });

  it('carries typed errors and bigints across the wire', async () => {
    expect(await c().odd({ n: 4 })).toBe(64n);
    const odd = await c().odd({ n: 3 }, { replyMode: 'pubsub' }).catch((e: unknown) => e);
    expect(isTaskError(odd, contract.odd, 'ODD') && odd.data.n).toBe(3);
  });

  it('retries a failing call and dead-letters it when its attempts run out', async () => {
    expect(await c().flaky({ n: 5 })).toBe(5);
    expect(code(await c().flaky({ n: -1 }).catch((e: unknown) => e))).toBe('INTERNAL');
    const [letter] = await a().deadLetters('gamma').list();
    expect(letter?.reason).toBe('ATTEMPTS_EXHAUSTED');
  });

  it('runs a call with an idempotency key once and answers every caller the same', async () => {
    const [a, b] = await Promise.all([c().echo({ n: 1007 }, { idempotencyKey: 'seven' }), c().echo({ n: 1007 }, { idempotencyKey: 'seven' })]);
    expect(a).toEqual(b);
    expect(await c().echo({ n: 1007 }, { idempotencyKey: 'seven' })).toEqual(a);
    expect(runs.get('echo1007')).toBe(1);
  });

  it('cancels a running call: the caller gets CANCELLED and the handler its abort', async () => {
    const abort = new AbortController();
    const call = c().slow({ id: 'cancel-me', ms: 10_000 }, { signal: abort.signal }).catch((e: unknown) => e);
    await expect.poll(() => runs.get('cancel-me')).toBe(1);
    abort.abort();
    expect(code(await call)).toBe('CANCELLED');
    await expect.poll(() => aborted.has('cancel-me')).toBe(true);
  });

  it('fails a call whose deadline passes with TIMEOUT, by that deadline', async () => {
    const t0 = Date.now();
    expect(code(await c().slow({ id: 'late', ms: 3_000 }, { timeoutMs: 300 }).catch((e: unknown) => e))).toBe('TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(1_300);
  });

  it('runs a delayed call no earlier than its delay', async () => {
    const t0 = Date.now();
    expect(await c().slow({ id: 'delayed', ms: 0 }, { delayMs: 400 })).toBe('delayed');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
  });

  it('runs a follow-up on another queue after the call it follows', async () => {
    const handle = await c().echo.send({ n: 9 }, { then: 'square' });
    expect(await handle.result()).toEqual({ n: 9, at: new Date(9) });
    expect(await c().square.result(`${handle.id}.then`)).toBe(81);
  });

  it('counts waiting, delayed and dead calls per queue for the admin', async () => {
    const later = c().slow({ id: 'counted', ms: 0 }, { delayMs: 1_500 });
    await expect.poll(() => a().counts('delta').then((n) => n.delayed)).toBe(1);
    const gamma = await a().counts('gamma');
    expect(gamma).toMatchObject({ dead: 1, waiting: 0, running: 0, workers: 1 });
    expect(await later).toBe('counted');
    expect(await a().counts('delta')).toMatchObject({ delayed: 0, waiting: 0, running: 0 });
  });
});
