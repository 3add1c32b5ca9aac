import { afterEach, describe, expect, it } from 'vitest';
import { isTaskError, isTaskwireError } from '../../src/index.js';
import { contract, setup } from '../support/fixtures.js';

describe.each(['key', 'pubsub'] as const)('a call over reply mode %s', (replyMode) => {
  let env: Awaited<ReturnType<typeof setup>>;
  afterEach(async () => env?.cleanup());

  it('returns the typed result of the handler', async () => {
    env = await setup({ client: { replyMode } });
    const out = await env.client.tasks.resize({ url: 'https://x.test/a.png', width: 200 });
    expect(out).toEqual({ url: 'https://x.test/a.png?w=200', bytes: 2000, at: new Date(1_700_000_000_000) });
    expect(out.at).toBeInstanceOf(Date);
    expect(await env.client.math.add({ a: 2, b: 3 })).toBe(5);
  });

  it('round-trips Date, Set, Map, BigInt and undefined', async () => {
    env = await setup({ client: { replyMode } });
    const input = { when: new Date('2024-02-29T12:00:00Z'), tags: new Set(['a', 'b']), counts: new Map([['x', 2n ** 70n]]), note: undefined };
    const out = await env.client.math.echo(input);
    expect(out.when).toEqual(input.when);
    expect(out.tags).toEqual(input.tags);
    expect(out.counts.get('x')).toBe(2n ** 70n);
  });

  it('delivers a declared error with typed data', async () => {
    env = await setup({ client: { replyMode } });
    const err = await env.client.tasks.resize({ url: 'https://x.test/missing', width: 1 }).catch((e: unknown) => e);
    expect(isTaskError(err, contract.tasks.resize, 'NOT_FOUND')).toBe(true);
    if (isTaskError(err, contract.tasks.resize, 'NOT_FOUND')) expect(err.data.url).toBe('https://x.test/missing');
    expect(isTaskError(err, 'OTHER')).toBe(false);
  });

  it('runs many concurrent calls and settles each once with its own result', async () => {
    env = await setup({ client: { replyMode }, worker: { concurrency: 32 } });
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => env.client.math.add({ a: i, b: 1 })));
    expect(results).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(env.client.$pending).toBe(0);
  });

  it('multiplexes every in-flight call over a fixed, small number of connections', async () => {
    env = await setup({ client: { replyMode }, worker: { concurrency: 8 } });
    const calls = Array.from({ length: 300 }, (_, i) => env.client.math.slow({ ms: 20 + (i % 5) }));
    await expect.poll(() => env.client.$pending).toBeLessThan(300);
    const list = (await env.redis.client('LIST')) as string;
    const mine = list.split('\n').filter((line) => line.includes(`name=tw-client-${env.client.$id}`));
    // One command connection plus one for replies (inbox or subscriber).
    expect(mine.length).toBe(2);
    await Promise.all(calls);
  });
});

describe('errors crossing the wire', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  afterEach(async () => env?.cleanup());

  it('maps an undeclared throw to INTERNAL with its message', async () => {
    env = await setup();
    const err = await env.client.math.boom({ message: 'disk on fire' }).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('INTERNAL');
    expect((err as Error).message).toContain('disk on fire');
  });

  it('turns output that breaks the contract into INTERNAL, never a wrong value', async () => {
    env = await setup();
    const err = await env.client.math.bad({}).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('INTERNAL');
  });
});
