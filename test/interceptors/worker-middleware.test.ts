import { afterEach, describe, expect, it } from 'vitest';
import { isTaskwireError, TaskwireError, type WorkerCall, type WorkerObserver } from '../../src/index.js';
import { encodeCall } from '../../src/wire/envelope.js';
import { queueKeys } from '../../src/wire/keys.js';
import { setup } from '../support/fixtures.js';
import { pushRaw } from '../support/redis.js';

/** Worker middleware (src/worker/middleware.ts) and observers (src/worker/worker-events.ts). */
let env: Awaited<ReturnType<typeof setup>> | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

describe('worker middleware', () => {
  it('wraps every handler, the first registered outermost, and sees the result on the way out', async () => {
    const log: string[] = [];
    env = await setup({
      worker: {
        middleware: [
          async (ctx, _input, next) => {
            log.push(`a in ${ctx.task}`);
            const out = await next();
            log.push(`a out ${String(out)}`);
            return out;
          },
          async (_ctx, input, next) => {
            log.push(`b in ${JSON.stringify(input)}`);
            return next();
          },
        ],
      },
    });
    expect(await env.client.math.add({ a: 2, b: 3 })).toBe(5);
    expect(log).toEqual(['a in math.add', 'b in {"a":2,"b":3}', 'a out 5']);
  });

  it('may pass another input on and change the output, which the contract still checks', async () => {
    env = await setup({
      worker: {
        middleware: [
          async (ctx, input, next) => {
            if (ctx.task !== 'math.add') return next();
            const out = (await next({ ...(input as object), b: 10 })) as number;
            return ctx.headers['x-break'] ? 'not a number' : out * 2;
          },
        ],
      },
    });
    expect(await env.client.math.add({ a: 1, b: 1 })).toBe(22);
    const err = await env.client.math.add({ a: 1, b: 1 }, { headers: { 'x-break': '1' } }).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('INTERNAL');
  });

  it('may refuse a call by throwing, and its error reaches the caller as a handler’s would', async () => {
    const ran: string[] = [];
    env = await setup({
      worker: {
        middleware: [
          (ctx, _input, next) => {
            if (ctx.headers['x-token'] !== 'ok') throw new TaskwireError('UNAUTHENTICATED', 'no token', { retryable: false });
            return next();
          },
          (ctx, _input, next) => {
            ran.push(ctx.callId);
            return next();
          },
        ],
      },
    });
    const err = await env.client.math.add({ a: 1, b: 1 }).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('UNAUTHENTICATED');
    expect(ran).toEqual([]);
    expect(await env.client.math.add({ a: 1, b: 1 }, { headers: { 'x-token': 'ok' } })).toBe(2);
  });
});

describe('worker observers', () => {
  function recorder(events: string[]): WorkerObserver {
    const at = (c: WorkerCall) => `${c.task}#${c.attempt}`;
    return {
      started: (c) => events.push(`started ${at(c)}`),
      succeeded: (c, runMs) => events.push(`succeeded ${at(c)} ${runMs >= 0 ? 'timed' : 'untimed'}`),
      failed: (c, e) => events.push(`failed ${at(c)} ${e.code}`),
      retried: (c, delayMs) => events.push(`retried ${at(c)} ${delayMs >= 0 ? 'delayed' : ''}`),
      deadLettered: (c, reason) => events.push(`dead ${at(c)} ${reason}`),
      expired: (c) => events.push(`expired ${at(c)}`),
      malformed: (queue, reason) => events.push(`malformed ${queue} ${reason.slice(0, 8)}`),
    };
  }

  it('hear each call start and end: success, failure, retry and dead letter', async () => {
    const events: string[] = [];
    env = await setup({ worker: { observers: [recorder(events)] } });
    await env.client.math.add({ a: 1, b: 1 });
    await env.client.math.boom({ message: 'x' }, { retry: { attempts: 2, backoffMs: 1 } }).catch(() => undefined);
    expect(events).toEqual([
      'started math.add#1',
      'succeeded math.add#1 timed',
      'started math.boom#1',
      'failed math.boom#1 INTERNAL',
      'retried math.boom#1 delayed',
      'started math.boom#2',
      'failed math.boom#2 INTERNAL',
      'dead math.boom#2 ATTEMPTS_EXHAUSTED',
    ]);
    expect(env.worker.stats).toMatchObject({ started: 3, succeeded: 1, failed: 2, retried: 1, deadLettered: 1 });
  });

  it('hear calls that were not run: expired, unknown task, malformed', async () => {
    const events: string[] = [];
    env = await setup({ worker: { observers: [recorder(events)] } });
    const keys = queueKeys(env.prefix, 'default');
    const now = Date.now();
    await pushRaw(env.redis, keys, encodeCall({ id: 'late.1', task: 'math.add', input: { json: { a: 1, b: 1 } }, deadline: now - 1, attempt: 1, sentAt: now - 10 }));
    await pushRaw(env.redis, keys, encodeCall({ id: 'nope.1', task: 'math.nope', input: { json: {} }, deadline: now + 5_000, attempt: 1, sentAt: now }));
    await pushRaw(env.redis, keys, 'not json');
    await expect.poll(() => events.length, { timeout: 5_000 }).toBe(3);
    expect(events).toEqual(['expired math.add#1', 'dead math.nope#1 UNKNOWN_TASK', 'malformed default not JSON']);
  });

  it('never break a call by throwing; the logger hears of it', async () => {
    const warnings: string[] = [];
    env = await setup({
      worker: {
        logger: { warn: (m) => warnings.push(m), error: () => undefined },
        observers: [{ started: () => { throw new Error('x'); }, succeeded: () => { throw new Error('y'); } }],
      },
    });
    expect(await env.client.math.add({ a: 1, b: 2 })).toBe(3);
    await expect.poll(() => warnings.filter((w) => w.includes('observer')).length).toBe(2);
  });
});

it('middleware costs nothing when none is registered: the handler is called as it is', async () => {
  const { withMiddleware } = await import('../../src/worker/middleware.js');
  const handler = (input: unknown) => input;
  expect(withMiddleware(handler, undefined)).toBe(handler);
  expect(withMiddleware(handler, [])).toBe(handler);
  expect(withMiddleware(handler, [(_c, _i, next) => next()])).not.toBe(handler);
});
