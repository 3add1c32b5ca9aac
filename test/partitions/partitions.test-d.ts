import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createClient } from '../../src/index.js';
import { router, task, type TaskDef } from '../../src/contract/index.js';
import type { CallOptions } from '../../src/client/types.js';

const contract = router({
  hot: task({ input: z.object({ n: z.number() }), output: z.number(), queue: 'hot', partitions: 3 }),
});

describe('partitions in types', () => {
  it('task() takes partitions: number, and the task says it', () => {
    expectTypeOf(contract.hot.partitions).toEqualTypeOf<number | undefined>();
    expectTypeOf<Parameters<typeof task>[0]['partitions']>().toEqualTypeOf<number | undefined>();
    // @ts-expect-error a count is a number
    task({ input: z.object({}), output: z.number(), partitions: '3' });
    expectTypeOf<TaskDef['partitions']>().toEqualTypeOf<number | undefined>();
  });

  it('a call takes partitionKey: string, on calls and detached sends alike', () => {
    expectTypeOf<CallOptions['partitionKey']>().toEqualTypeOf<string | undefined>();
    const client = createClient(contract, { redis: 'redis://127.0.0.1:1' });
    expectTypeOf(client.hot).toBeCallableWith({ n: 1 }, { partitionKey: 'user-7' });
    expectTypeOf(client.hot.send).toBeCallableWith({ n: 1 }, { partitionKey: 'user-7' });
    // @ts-expect-error a key is a string
    void client.hot({ n: 1 }, { partitionKey: 7 });
  });
});
