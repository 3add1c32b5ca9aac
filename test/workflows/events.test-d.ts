import { describe, expectTypeOf, it } from 'vitest';
import type { Client, TaskEvent, TaskEvents } from '../../src/index.js';
import type { ContractClient } from '../codegen/rich/expected.golden.js';
import type { followUpContract } from './follow-up-contract.js';

declare const client: Client<typeof followUpContract>;
declare const generated: ContractClient;

describe('event types', () => {
  it('types events by the task path', () => {
    expectTypeOf(client.$events('notify')).toEqualTypeOf<TaskEvents<string>>();
    expectTypeOf(client.$events('square')).toEqualTypeOf<TaskEvents<number>>();
    expectTypeOf<TaskEvent<number>>().toExtend<{ ok: true; output: number } | { ok: false }>();
    // @ts-expect-error a path the contract does not have
    void client.$events('nope');
  });

  it('types a generated client the same way', () => {
    expectTypeOf(generated.$events('jobs.run')).toEqualTypeOf<TaskEvents<null>>();
    // @ts-expect-error a router is not a task
    void generated.$events('jobs');
  });
});
