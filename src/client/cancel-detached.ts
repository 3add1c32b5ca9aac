import type { TaskwireError } from '../errors.js';
import type { QueueStore } from '../transport/queue-store.js';
import type { RunStore } from '../transport/run-store.js';
import { encodeReply } from '../wire/envelope.js';
import type { QueueKeys } from '../wire/keys.js';
import type { Serializer } from '../wire/serializer.js';
import type { Signer } from '../wire/signing.js';

/** What a detached call's handle needs to cancel it (client/caller.ts Sent). */
export interface SentCall {
  id: string;
  raw: string;
  deadline: number;
  group: string | undefined;
  resultTtlMs: number;
}

export interface CancelDeps {
  store: QueueStore;
  runs: RunStore;
  serializer: Serializer;
  signer: Signer | undefined;
  /** Announce on the queue's shard channel (ClientOptions.shardedPubSub). */
  sharded: boolean;
  replyTtlMs: number;
}

/**
 * Cancels a detached call: withdrawn if still queued, and then its outcome is `cancelled` at once
 * for whoever awaits it (stored as its run's reply); else its handler is told, and the worker
 * stores CANCELLED when the handler stops.
 */
export async function cancelDetached(d: CancelDeps, keys: QueueKeys, task: string, sent: SentCall, cancelled: TaskwireError<string, unknown>): Promise<void> {
  const res = await d.store.withdraw(keys, { raw: sent.raw, callId: sent.id, deadline: sent.deadline, announce: true, sharded: d.sharded, group: sent.group, task });
  if (res !== 'withdrawn') return;
  const error = cancelled.toJSON();
  const unsigned = encodeReply({ id: sent.id, ok: false, error: error.data === undefined ? error : { ...error, data: d.serializer.serialize(error.data) } });
  const reply = d.signer ? d.signer.signReply(unsigned) : unsigned;
  await d.runs.cancelRun(keys, sent.id, reply, sent.resultTtlMs, d.replyTtlMs);
}
