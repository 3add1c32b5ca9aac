import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { TaskError, TaskInput, TaskOutput } from '../../src/contract/index.js';
import type { ClientHandle } from '../../src/index.js';
import { contract } from './rich/contract.js';
import {
  createClient,
  isDeclaredError,
  type ContractClient,
  type ImagesResizeErrors,
  type ImagesResizeInput,
  type ImagesResizeOutput,
  type RichEchoInput,
  type RichEchoOutput,
  type RichShapesInput,
  type RichTreeOutput,
} from './generated/rich-client.js';

declare const client: ContractClient;

describe('the generated client (test/codegen/generated/rich-client.ts)', () => {
  it('createClient returns the typed stubs and the $-handle', () => {
    expectTypeOf(createClient).returns.toEqualTypeOf<ContractClient>();
    expectTypeOf<ContractClient>().toExtend<ClientHandle>();
  });

  it('generated types equal what zod infers from the contract itself', () => {
    expectTypeOf<ImagesResizeInput>().toEqualTypeOf<TaskInput<typeof contract.images.resize>>();
    expectTypeOf<ImagesResizeOutput>().toEqualTypeOf<TaskOutput<typeof contract.images.resize>>();
    expectTypeOf<RichEchoInput>().toEqualTypeOf<TaskInput<typeof contract.rich.echo>>();
    expectTypeOf<RichEchoOutput>().toEqualTypeOf<TaskOutput<typeof contract.rich.echo>>();
    expectTypeOf<RichTreeOutput>().toEqualTypeOf<z.output<typeof contract.rich.tree.output>>();
  });

  it('stubs take the input and resolve to the output, with call options', () => {
    expectTypeOf(client.images.resize).parameter(0).toEqualTypeOf<ImagesResizeInput>();
    expectTypeOf(client.images.resize).returns.resolves.toEqualTypeOf<ImagesResizeOutput>();
    expectTypeOf(client.rich.echo).returns.resolves.toHaveProperty('counts').toEqualTypeOf<Map<string, bigint>>();
    expectTypeOf(client.rich.echo).returns.resolves.toHaveProperty('when').toEqualTypeOf<Date>();
    void client.images.resize({ url: 'https://x.test/a.png', width: 10 }, { timeoutMs: 500, replyMode: 'pubsub' });
    // A task whose input is void may be called without arguments.
    void client.rich.ping();
  });

  it('wrong arguments do not compile', () => {
    // @ts-expect-error width must be a number
    void client.images.resize({ url: 'https://x.test/a.png', width: '10' });
    // @ts-expect-error url is required
    void client.images.resize({ width: 10 });
    // @ts-expect-error format is one of the enum values
    void client.images.resize({ url: 'u', width: 1, format: 'gif' });
    // @ts-expect-error the input is required for this task
    void client.images.resize();
    // @ts-expect-error no such task
    void client.images.crop({});
    // @ts-expect-error unknown call option
    void client.rich.ping(undefined, { timeout: 5 });
    const shape: RichShapesInput['shape'] = { kind: 'circle', radius: 1 };
    // @ts-expect-error a circle has no width
    const wrong: RichShapesInput['shape'] = { kind: 'circle', width: 1 };
    void shape;
    void wrong;
  });

  it('isDeclaredError narrows to the declared error with typed data', () => {
    const err: unknown = new Error('x');
    if (isDeclaredError(err, 'images.resize', 'TOO_LARGE')) {
      expectTypeOf(err).toEqualTypeOf<TaskError<'TOO_LARGE', { limit: number; actual: number }>>();
      expectTypeOf(err.data.limit).toEqualTypeOf<number>();
    }
    expectTypeOf<ImagesResizeErrors['code']>().toEqualTypeOf<'NOT_FOUND' | 'TOO_LARGE'>();
    // @ts-expect-error not a declared code of images.resize
    isDeclaredError(err, 'images.resize', 'GONE');
    // @ts-expect-error not a task path
    isDeclaredError(err, 'images.nope', 'NOT_FOUND');
  });
});
