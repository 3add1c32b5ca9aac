import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createClient, createWorker, isTaskError, router, task, type Handlers, type TaskContext } from '../../src/index.js';
import { contract } from '../support/fixtures.js';

const client = createClient(contract, { redis: 'redis://127.0.0.1:6379' });

describe('client types come from the contract', () => {
  it('infers argument and result types per task', () => {
    expectTypeOf(client.tasks.resize).parameter(0).toEqualTypeOf<{ url: string; width: number }>();
    expectTypeOf(client.tasks.resize).returns.resolves.toEqualTypeOf<{ url: string; bytes: number; at: Date }>();
    expectTypeOf(client.math.add).returns.resolves.toEqualTypeOf<number>();
    expectTypeOf(client.math.echo).returns.resolves.toHaveProperty('counts').toEqualTypeOf<Map<string, bigint>>();
  });

  it('rejects wrong arguments and unknown tasks at compile time', () => {
    // @ts-expect-error width must be a number
    void client.tasks.resize({ url: 'https://x', width: '200' });
    // @ts-expect-error url is required
    void client.tasks.resize({ width: 200 });
    // @ts-expect-error no such task
    void client.tasks.crop({});
    // @ts-expect-error unknown call option
    void client.math.add({ a: 1, b: 2 }, { timeout: 5 });
  });

  it('uses input types before defaults and output types after transforms', () => {
    const c = router({
      t: task({
        input: z.object({ n: z.number().default(1) }),
        output: z.string().transform((s) => s.length),
      }),
    });
    const cl = createClient(c, { redis: 'redis://x' });
    expectTypeOf(cl.t).parameter(0).toEqualTypeOf<{ n?: number | undefined }>();
    expectTypeOf(cl.t).returns.resolves.toEqualTypeOf<number>();
    createWorker(c, { t: (input) => { expectTypeOf(input).toEqualTypeOf<{ n: number }>(); return 'abc'; } }, { redis: 'redis://x' });
  });

  it('exposes $-prefixed client methods that never collide with tasks', () => {
    expectTypeOf(client.$close).toEqualTypeOf<() => Promise<void>>();
    expectTypeOf(client.$pending).toEqualTypeOf<number>();
  });
});

describe('declared errors are typed by code', () => {
  it('narrows data by the task and code', () => {
    const err: unknown = null;
    if (isTaskError(err, contract.tasks.resize, 'NOT_FOUND')) {
      expectTypeOf(err.code).toEqualTypeOf<'NOT_FOUND'>();
      expectTypeOf(err.data).toEqualTypeOf<{ url: string }>();
    }
    // @ts-expect-error not a code the task declares
    isTaskError(err, contract.tasks.resize, 'GONE');
  });
});

describe('handler types come from the contract', () => {
  it('types input, ctx and return, and ctx.error by declared code', () => {
    type H = Handlers<typeof contract>['tasks']['resize'];
    expectTypeOf<Parameters<H>[0]>().toEqualTypeOf<{ url: string; width: number }>();
    expectTypeOf<Parameters<H>[1]>().toEqualTypeOf<TaskContext<typeof contract.tasks.resize, typeof contract>>();
    const ctx = null as unknown as TaskContext<typeof contract.tasks.resize>;
    expectTypeOf(ctx.error('NOT_FOUND', { url: 'u' }).data).toEqualTypeOf<{ url: string }>();
    // @ts-expect-error undeclared code
    ctx.error('GONE', {});
    // @ts-expect-error wrong data shape
    ctx.error('NOT_FOUND', { href: 'u' });
  });

  it('makes a missing or wrongly shaped handler a compile error', () => {
    const c = router({ a: task({ input: z.object({ x: z.number() }), output: z.string() }), b: task({ input: z.null(), output: z.null() }) });
    // @ts-expect-error handler b is missing
    createWorker(c, { a: () => 'ok' }, { redis: 'redis://x' });
    // @ts-expect-error a returns the wrong type
    createWorker(c, { a: () => 42, b: () => null }, { redis: 'redis://x' });
    // @ts-expect-error a reads a field its input does not have
    createWorker(c, { a: (input) => input.y, b: () => null }, { redis: 'redis://x' });
    createWorker(c, { a: async ({ x }) => String(x), b: () => null }, { redis: 'redis://x' });
  });
});
