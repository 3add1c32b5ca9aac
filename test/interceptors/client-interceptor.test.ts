import { afterEach, describe, expect, it } from 'vitest';
import type { ClientInterceptor, OutgoingCall, CallOutcome } from '../../src/index.js';
import { isTaskwireError } from '../../src/index.js';
import { setup } from '../support/fixtures.js';

/** Client interceptors (src/client/interceptor.ts): prepare, sent, settled around every call. */
let env: Awaited<ReturnType<typeof setup>> | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

/** Records every hook in order; `name` tells interceptors apart. */
function recorder(name: string, log: string[], extra: Partial<ClientInterceptor> = {}): ClientInterceptor {
  return {
    prepare: (call) => {
      log.push(`${name}.prepare ${call.task}`);
      extra.prepare?.(call);
    },
    sent: (call) => log.push(`${name}.sent ${call.task}`),
    settled: (call, outcome) => log.push(`${name}.settled ${call.task} ${outcome.ok ? 'ok' : outcome.error.code}`),
  };
}

describe('client interceptors', () => {
  it('run prepare, sent and settled once per call, in order, settled unwinding in reverse', async () => {
    const log: string[] = [];
    env = await setup({ client: { interceptors: [recorder('a', log), recorder('b', log)] } });
    expect(await env.client.math.add({ a: 1, b: 2 })).toBe(3);
    expect(log).toEqual(['a.prepare math.add', 'b.prepare math.add', 'a.sent math.add', 'b.sent math.add', 'b.settled math.add ok', 'a.settled math.add ok']);
  });

  it('carry headers set in prepare to the handler, beside the call’s own', async () => {
    const seen: Array<Readonly<Record<string, string>>> = [];
    env = await setup({
      client: { interceptors: [{ prepare: (call) => Object.assign(call.headers, { traceparent: '00-trace', 'x-user': 'override' }) }] },
      worker: { middleware: [(ctx, _input, next) => (seen.push(ctx.headers), next())] },
    });
    await env.client.math.add({ a: 1, b: 1 }, { headers: { 'x-user': 'u1', 'x-other': 'o' } });
    expect(seen).toEqual([{ 'x-user': 'override', 'x-other': 'o', traceparent: '00-trace' }]);
  });

  it('see the outcome of failed, timed-out and cancelled calls, each once', async () => {
    const outcomes: Array<[string, CallOutcome]> = [];
    env = await setup({ client: { interceptors: [{ settled: (call, outcome) => outcomes.push([call.task, outcome]) }] } });
    await env.client.math.boom({ message: 'x' }).catch(() => undefined);
    await env.client.math.slow({ ms: 2_000 }, { timeoutMs: 100 }).catch(() => undefined);
    const abort = new AbortController();
    const cancelled = env.client.math.slow({ ms: 2_000 }, { signal: abort.signal }).catch(() => undefined);
    abort.abort();
    await cancelled;
    expect(outcomes.map(([task, o]) => [task, o.ok ? 'ok' : o.error.code])).toEqual([
      ['math.boom', 'INTERNAL'],
      ['math.slow', 'TIMEOUT'],
      ['math.slow', 'CANCELLED'],
    ]);
  });

  it('refuse a call when prepare throws: nothing is sent, and the error is the caller’s', async () => {
    const log: string[] = [];
    env = await setup({
      client: {
        interceptors: [
          recorder('outer', log),
          { prepare: () => { throw new Error('not signed'); } },
        ],
      },
    });
    const err = await env.client.math.add({ a: 1, b: 1 }).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('INTERNAL');
    expect((err as Error).message).toBe('not signed');
    expect(log).toEqual(['outer.prepare math.add', 'outer.settled math.add INTERNAL']);
    expect(env.worker.stats.taken).toBe(0);
  });

  it('never let a throwing sent or settled break a call; the logger hears of it', async () => {
    const warnings: string[] = [];
    env = await setup({
      client: {
        logger: { warn: (m) => warnings.push(m), error: () => undefined },
        interceptors: [{ sent: () => { throw new Error('s'); }, settled: () => { throw new Error('t'); } }],
      },
    });
    expect(await env.client.math.add({ a: 2, b: 2 })).toBe(4);
    expect(warnings).toHaveLength(2);
    expect(warnings.every((w) => w.includes('interceptor'))).toBe(true);
  });

  it('see what the call is: id, task, queue, input, deadline', async () => {
    const calls: OutgoingCall[] = [];
    env = await setup({ client: { interceptors: [{ prepare: (call) => void calls.push(call) }] } });
    const t0 = Date.now();
    await env.client.tasks.resize({ url: 'https://x.test/a.png', width: 4 }, { timeoutMs: 5_000 });
    const [call] = calls;
    expect(call?.id.startsWith(env.client.$id)).toBe(true);
    expect(call).toMatchObject({ task: 'tasks.resize', queue: 'images', input: { url: 'https://x.test/a.png', width: 4 } });
    expect(call?.deadline).toBeGreaterThanOrEqual(t0 + 5_000);
  });

  it('do not run for calls refused before they are prepared (invalid input)', async () => {
    const log: string[] = [];
    env = await setup({ client: { interceptors: [recorder('a', log)] } });
    await env.client.math.add({ a: 'x' } as never).catch(() => undefined);
    expect(log).toEqual([]);
  });
});

it('cost nothing when none is registered: the client holds no hooks at all', async () => {
  const { ClientHooks } = await import('../../src/client/interceptor.js');
  const logger = { warn: () => undefined, error: () => undefined };
  expect(ClientHooks.from(undefined, logger)).toBeUndefined();
  expect(ClientHooks.from([], logger)).toBeUndefined();
  expect(ClientHooks.from([{}], logger)).toBeDefined();
});
