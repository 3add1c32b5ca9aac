import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { router, task, type Client, type Settled, type TaskwireError } from '../../src/index.js';
import type { ContractClient } from '../codegen/basic/expected.golden.js';

const contract = router({
  square: task({ input: z.object({ n: z.number() }), output: z.number() }),
  ping: task({ input: z.undefined(), output: z.literal('pong') }),
});
declare const client: Client<typeof contract>;
declare const generated: ContractClient;

describe('fan-out types', () => {
  it('map answers the outputs, mapSettled one Settled per input', () => {
    expectTypeOf(client.square.map([{ n: 1 }])).resolves.toEqualTypeOf<number[]>();
    expectTypeOf(client.square.mapSettled([{ n: 1 }])).resolves.toEqualTypeOf<Array<Settled<number>>>();
    type Failed = Extract<Settled<number>, { ok: false }>;
    expectTypeOf<Failed['error']>().toEqualTypeOf<TaskwireError<string, unknown>>();
    // @ts-expect-error inputs are typed by the task
    void client.square.map([{ n: 'x' }]);
    // @ts-expect-error concurrency is a number
    void client.square.map([{ n: 1 }], { concurrency: 'all' });
  });

  it('lets a task whose input accepts undefined be called without one', () => {
    expectTypeOf(client.ping()).resolves.toEqualTypeOf<'pong'>();
    // @ts-expect-error a task with an input needs it
    void client.square();
  });

  it('gives generated clients the same stubs', () => {
    expectTypeOf(generated.math.add.map([{ a: 1, b: 2 }])).resolves.toEqualTypeOf<number[]>();
    expectTypeOf(generated.math.ping()).resolves.toEqualTypeOf<'pong'>();
  });
});
