import { describe, expectTypeOf, it } from 'vitest';
import { type CallHandle, type Client, type RunStatus } from '../../src/index.js';
import type { ContractClient } from '../codegen/basic/expected.golden.js';
import type { detachedContract } from './detached-contract.js';

declare const client: Client<typeof detachedContract>;
declare const generated: ContractClient;
type Report = { name: string; at: Date };

describe('detached call types', () => {
  it('send answers a handle typed by the task; result by id answers its output', () => {
    expectTypeOf(client.report.send({ name: 'x' })).resolves.toEqualTypeOf<CallHandle<Report>>();
    expectTypeOf(client.report.result('id')).resolves.toEqualTypeOf<Report>();
    expectTypeOf(client.report.status('id')).resolves.toEqualTypeOf<RunStatus>();
    expectTypeOf(client.$result('id')).resolves.toEqualTypeOf<unknown>();
    // @ts-expect-error inputs are typed by the task
    void client.report.send({ name: 1 });
    // @ts-expect-error a detached call has no reply mode: its outcome is kept in Redis
    void client.report.send({ name: 'x' }, { replyMode: 'key' });
    // @ts-expect-error detached calls are idempotent by their own id
    void client.report.send({ name: 'x' }, { idempotencyKey: 'k' });
  });

  it('gives generated clients the same handles', () => {
    expectTypeOf(generated.math.add.send({ a: 1, b: 2 })).resolves.toEqualTypeOf<CallHandle<number>>();
  });
});
