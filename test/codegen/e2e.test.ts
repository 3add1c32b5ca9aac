import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTaskwireError, type Handlers } from '../../src/index.js';
import { CODEGEN_TEST_DIR } from './golden.js';
import { liveGeneratedClients } from './live-client.js';
import { contract } from './rich/contract.js';
import type * as RichClient from './generated/rich-client.js';

const handlers: Handlers<typeof contract> = {
  images: {
    resize: async (input, ctx) => {
      if (input.url.endsWith('/missing.png')) throw ctx.error('NOT_FOUND', { url: input.url });
      if (input.width > 5000) throw ctx.error('TOO_LARGE', { limit: 5000, actual: input.width });
      return { url: `${input.url}?w=${input.width}&f=${input.format}`, bytes: input.width * 3, at: new Date(1_700_000_000_000) };
    },
  },
  rich: {
    echo: (input) => input,
    shapes: ({ shape }) => ({ area: shape.kind === 'circle' ? Math.PI * shape.radius ** 2 : shape.width * shape.height, label: 'small' }),
    tree: ({ root }) => root,
    ping: () => 'pong' as const,
    trimmed: ({ name }) => name,
  },
  jobs: {
    run: ({ steps }, ctx) => {
      for (let i = 1; i <= steps; i++) ctx.progress({ pct: (100 * i) / steps });
      return null;
    },
  },
};

describe('a generated client calling a live worker', () => {
  const live = liveGeneratedClients();
  const start = () => live.start<typeof RichClient, typeof contract>(join(CODEGEN_TEST_DIR, 'rich/contract.ts'), contract, handlers);

  it('returns typed results with Date, Map, Set and BigInt intact', async () => {
    const { client } = await start();
    const out = await client.images.resize({ url: 'https://x.test/a.png', width: 100 });
    expect(out).toEqual({ url: 'https://x.test/a.png?w=100&f=png', bytes: 300, at: new Date(1_700_000_000_000) });
    const input = { when: new Date('2024-02-29T12:00:00Z'), counts: new Map([['x', 2n ** 70n]]), tags: new Set(['a']), big: 7n, note: null };
    const echoed = await client.rich.echo(input);
    expect(echoed.when).toBeInstanceOf(Date);
    expect(echoed.counts.get('x')).toBe(2n ** 70n);
    expect(echoed.tags).toEqual(new Set(['a']));
    expect(echoed.big).toBe(7n);
    expect(await client.rich.ping()).toBe('pong');
    const tree = { name: 'root', children: [{ name: 'leaf', children: [] }] };
    expect(await client.rich.tree({ root: tree, doc: { a: [1, 'b', null] } })).toEqual(tree);
  });

  it('delivers progress reports to onProgress, typed by the generated client', async () => {
    const { client } = await start();
    const seen: number[] = [];
    expect(await client.jobs.run({ steps: 4 }, { replyMode: 'pubsub', onProgress: (p) => seen.push(p.pct) })).toBeNull();
    await expect.poll(() => seen.at(-1)).toBe(100);
    expect(seen[0]).toBe(25);
  });

  it('rejects with the declared error, its data typed and intact', async () => {
    const { client, module } = await start();
    const err = await client.images.resize({ url: 'https://x.test/big.png', width: 6000 }).catch((e: unknown) => e);
    expect(module.isDeclaredError(err, 'images.resize', 'TOO_LARGE')).toBe(true);
    if (module.isDeclaredError(err, 'images.resize', 'TOO_LARGE')) expect(err.data).toEqual({ limit: 5000, actual: 6000 });
    const missing = await client.images.resize({ url: 'https://x.test/missing.png', width: 1 }).catch((e: unknown) => e);
    expect(module.isDeclaredError(missing, 'images.resize', 'NOT_FOUND')).toBe(true);
  });

  it('rejects invalid arguments locally with VALIDATION, before anything reaches the worker', async () => {
    const { client, worker } = await start();
    const err = await client.images.resize({ url: 'not a url', width: -5 }).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('VALIDATION');
    expect((err as Error).message).toMatch(/images\.resize/);
    expect((err as Error).message).toMatch(/url/);
    expect((err as Error).message).toMatch(/width/);
    const wrongType = await client.rich.echo({ when: 'yesterday' } as never).catch((e: unknown) => e);
    expect(isTaskwireError(wrongType) && wrongType.code).toBe('VALIDATION');
    expect(worker.stats.taken).toBe(0);
  });
});
