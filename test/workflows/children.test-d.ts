import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { router, task, type CallHandle, type ChildClient, type Handlers, type Settled, type TaskContext } from '../../src/index.js';
import { routes as generatedRoutes, type ContractClient } from '../codegen/basic/expected.golden.js';

const contract = router({
  resize: task({ input: z.object({ url: z.string() }), output: z.object({ bytes: z.number() }) }),
  album: task({ input: z.object({ urls: z.array(z.string()) }), output: z.number() }),
});
const other = router({ shout: task({ input: z.string(), output: z.string() }) });
type Album = Parameters<Handlers<typeof contract>['album']>[1];
declare const ctx: Album;

describe('child call types', () => {
  it('types ctx.client by the worker\'s own contract', () => {
    expectTypeOf<Album>().toEqualTypeOf<TaskContext<typeof contract.album, typeof contract>>();
    expectTypeOf(ctx.client.resize({ url: 'u' })).resolves.toEqualTypeOf<{ bytes: number }>();
    expectTypeOf(ctx.client.resize.map([{ url: 'u' }])).resolves.toEqualTypeOf<Array<{ bytes: number }>>();
    expectTypeOf(ctx.client.resize.mapSettled([{ url: 'u' }])).resolves.toEqualTypeOf<Array<Settled<{ bytes: number }>>>();
    expectTypeOf(ctx.client.resize.send({ url: 'u' }, { key: 'bg' })).resolves.toEqualTypeOf<CallHandle<{ bytes: number }>>();
    void ctx.client.resize({ url: 'u' }, { key: 'first', timeoutMs: 1_000 });
    // @ts-expect-error a child's idempotency is taskwire's: give it a key instead
    void ctx.client.resize({ url: 'u' }, { idempotencyKey: 'k' });
    // @ts-expect-error inputs are typed by the task
    void ctx.client.resize({ href: 'u' });
    // @ts-expect-error no such task in the contract
    void ctx.client.crop;
    // @ts-expect-error a child client has no $close: the worker owns it
    void ctx.client.$close;
  });

  it('types ctx.clientOf by another contract or by a generated client\'s routes', () => {
    expectTypeOf(ctx.clientOf(other).shout('x')).resolves.toEqualTypeOf<string>();
    expectTypeOf(ctx.clientOf(generatedRoutes)).toEqualTypeOf<ChildClient<ContractClient>>();
    expectTypeOf(ctx.clientOf(generatedRoutes).math.add({ a: 1, b: 2 })).resolves.toEqualTypeOf<number>();
    // @ts-expect-error typed by the generated client
    void ctx.clientOf(generatedRoutes).math.add({ a: '1', b: 2 });
  });
});
