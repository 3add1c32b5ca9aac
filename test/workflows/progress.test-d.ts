import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { router, task, type Client, type Handlers } from '../../src/index.js';
import type { ContractClient } from '../codegen/rich/expected.golden.js';

const contract = router({
  resize: task({
    input: z.object({ url: z.string() }),
    output: z.number(),
    progress: z.object({ done: z.number(), stage: z.enum(['fetch', 'scale']).default('fetch') }),
  }),
  plain: task({ input: z.null(), output: z.string() }),
});
declare const client: Client<typeof contract>;
type ResizeCtx = Parameters<Handlers<typeof contract>['resize']>[1];
type PlainCtx = Parameters<Handlers<typeof contract>['plain']>[1];
declare const ctx: ResizeCtx;
declare const plainCtx: PlainCtx;

describe('progress types', () => {
  it('types ctx.progress by the schema\'s input, and onProgress by its output', () => {
    expectTypeOf(ctx.progress).parameter(0).toEqualTypeOf<{ done: number; stage?: 'fetch' | 'scale' | undefined }>();
    void client.resize({ url: 'u' }, { onProgress: (p) => expectTypeOf(p).toEqualTypeOf<{ done: number; stage: 'fetch' | 'scale' }>() });
    // @ts-expect-error a report the schema does not admit
    ctx.progress({ done: 'half' });
  });

  it('has no progress for tasks that declare none', () => {
    // @ts-expect-error no onProgress option on a task without progress
    void client.plain(null, { onProgress: () => undefined });
    // @ts-expect-error ctx.progress takes never
    plainCtx.progress(1);
  });

  it('gives generated clients the same onProgress', () => {
    type Generated = ContractClient;
    type Options = NonNullable<Parameters<Generated['jobs']['run']>[1]>;
    expectTypeOf<Parameters<NonNullable<Options['onProgress']>>[0]>().toEqualTypeOf<{ pct: number }>();
  });
});
