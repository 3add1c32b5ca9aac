import { describe, expectTypeOf, it } from 'vitest';
import type { Client, FailedCall, FollowUpIds } from '../../src/index.js';
import type { ContractClient } from '../codegen/rich/expected.golden.js';
import type { followUpContract } from './follow-up-contract.js';

declare const client: Client<typeof followUpContract>;
declare const generated: ContractClient;

describe('follow-up types', () => {
  it('lets then name only tasks whose input accepts the output, to any depth', () => {
    void client.images.resize({ url: 'u', width: 1 }, { then: 'images.index' });
    void client.images.resize.send({ url: 'u', width: 1 }, { then: { task: 'images.index', then: 'notify' } });
    // @ts-expect-error square takes a number, not resize's output
    void client.images.resize({ url: 'u', width: 1 }, { then: 'square' });
    // @ts-expect-error notify takes { indexed }, not resize's output
    void client.images.resize({ url: 'u', width: 1 }, { then: 'notify' });
    // @ts-expect-error the second step's then gets index's output: resize does not accept it
    void client.images.resize({ url: 'u', width: 1 }, { then: { task: 'images.index', then: 'images.resize' } });
    // @ts-expect-error a path the contract does not have
    void client.images.resize({ url: 'u', width: 1 }, { then: 'images.nope' });
    void client.square(2, { then: 'square' });
  });

  it('lets catch name only tasks that accept a FailedCall of the input', () => {
    void client.images.resize({ url: 'u', width: 1 }, { catch: 'alerts.failed' });
    void client.images.resize.map([{ url: 'u', width: 1 }], { then: 'images.index', catch: 'alerts.failed' });
    // @ts-expect-error index does not take a FailedCall
    void client.images.resize({ url: 'u', width: 1 }, { catch: 'images.index' });
    expectTypeOf<FailedCall<{ url: string }>>().toEqualTypeOf<{
      callId: string;
      task: string;
      input: { url: string };
      error: { code: string; message: string; data?: unknown };
    }>();
  });

  it('tells the follow-up ids on the handle', async () => {
    const handle = await client.images.resize.send({ url: 'u', width: 1 }, { then: 'images.index' });
    expectTypeOf(handle.followUps).toEqualTypeOf<FollowUpIds>();
  });

  it('types the follow-ups of a generated client the same way', () => {
    const at = new Date();
    const echo = { when: at, counts: new Map<string, bigint>(), tags: new Set<string>(), big: 1n };
    void generated.rich.echo(echo, { then: 'rich.echo' });
    // @ts-expect-error images.resize does not accept echo's output
    void generated.rich.echo(echo, { then: 'images.resize' });
  });
});
