import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTaskwireError, type ClientHandle, type Handlers } from '../../src/index.js';
import { CODEGEN_TEST_DIR } from './golden.js';
import { liveGeneratedClients } from './live-client.js';
import { contract as v2 } from './skew/contract-v2.js';

/** What the test uses of a client generated from skew/contract-v1.ts. */
interface V1Module {
  createClient(options: { redis: string; prefix: string }): ClientHandle & {
    users: {
      get(input: { id: string }): Promise<{ id: string; name: string; age: number }>;
      rename(input: { id: string; name: string }): Promise<{ ok: boolean }>;
      find(input: { query: string }): Promise<string[]>;
    };
  };
}

const handlers: Handlers<typeof v2> = {
  users: {
    get: ({ id }) => ({ id, name: 'Ada', age: 36, email: 'ada@x.test' }),
    rename: () => ({ ok: true }),
    find: ({ query }) => [{ id: `${query}-1` }],
  },
  audit: () => 1,
};

describe('a client generated from an older contract calling a newer worker', () => {
  const live = liveGeneratedClients();
  const start = async () => (await live.start<V1Module, typeof v2>(join(CODEGEN_TEST_DIR, 'skew/contract-v1.ts'), v2, handlers)).client;

  it('keeps working across compatible changes: a new optional input field, a new output field, a new task', async () => {
    const client = await start();
    // The extra `email` passes the old client's output check (unknown keys are allowed).
    expect(await client.users.get({ id: 'u1' })).toMatchObject({ id: 'u1', name: 'Ada', age: 36 });
  });

  it('fails with CONTRACT_MISMATCH naming the task and field when the worker now requires a field', async () => {
    const client = await start();
    const err = await client.users.rename({ id: 'u1', name: 'Grace' }).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('CONTRACT_MISMATCH');
    expect((err as Error).message).toMatch(/users\.rename/);
    expect((err as Error).message).toMatch(/reason/);
    expect((err as { data: { task: string } }).data.task).toBe('users.rename');
  });

  it('fails with CONTRACT_MISMATCH naming the task and field when the result no longer fits, never a wrong value', async () => {
    const client = await start();
    const err = await client.users.find({ query: 'ada' }).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('CONTRACT_MISMATCH');
    expect((err as Error).message).toMatch(/users\.find/);
    expect((err as Error).message).toMatch(/\b0\b/);
    expect((err as { data: { task: string } }).data.task).toBe('users.find');
  });
});
