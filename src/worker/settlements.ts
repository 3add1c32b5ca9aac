import type { TaskwireError } from '../errors.js';
import { encodeReply, storedReply, type CallEnvelope, type WireReplyMode } from '../wire/envelope.js';
import type { QueueKeys } from '../wire/keys.js';
import { DEFAULTS, isStoredSize } from '../wire/protocol.js';
import type { Serializer } from '../wire/serializer.js';
import type { Signer } from '../wire/signing.js';
import type { Settlement } from '../transport/queue-store.js';
import type { TakenCall } from '../transport/take-request.js';

/** Which lease a settlement ends: the call's token and its taken batch. */
export type Lease = Pick<TakenCall, 'token' | 'batch'>;

/**
 * A settlement. A large output (protocol.ts STORED_PAYLOAD_BYTES) is written to its own key under
 * the lease token before the settlement is sent (settler.ts), and the reply only names it.
 */
export interface OkSettlement extends Settlement {
  /** `inline`: the reply with the output in it, sent instead if Redis refuses the key. */
  storedOutput?: { text: string; inline: string } | undefined;
}

/** complete-4.lua's action for each reply mode an envelope can name. */
const REPLY_ACTIONS = { hash: 'h', pubsub: 'p', spubsub: 's' } as const satisfies Record<WireReplyMode, Settlement['action']>;

/** The parts of a call a settlement needs: who to answer and under which idempotency key. */
export type Addressee = Pick<CallEnvelope, 'id' | 'reply' | 'idem' | 'idemTtl'>;

/**
 * Builds the records complete-4.lua consumes: how a call ends (reply, silence, retry, dead
 * letter) as plain data, separate from when and how they are sent (replier.ts).
 */
export function settlements(serializer: Serializer, storeLargeResults = true, signer?: Signer) {
  const sign = (payload: string, stored?: string) => (signer ? signer.signReply(payload, stored) : payload);
  /** Settles without a reply (nobody waits, or the caller already has its answer). */
  function silent(lease: Lease, callId: string): Settlement {
    return { token: lease.token, batch: lease.batch, callId, action: '-', to: '', payload: '', deadReason: '', idem: '', idemTtlMs: 0, input: '' };
  }

  /** Re-enqueues the next attempt after `delayMs` (retry backoff). */
  function retry(lease: Lease, callId: string, delayMs: number, nextEnvelope: string): Settlement {
    return { token: lease.token, batch: lease.batch, callId, action: 'r', to: String(delayMs), payload: nextEnvelope, deadReason: '', idem: '', idemTtlMs: 0, input: '' };
  }

  function reply(keys: QueueKeys, lease: Lease, to: Addressee, payload: string, deadReason = ''): Settlement {
    const target = to.reply;
    return {
      token: lease.token,
      batch: lease.batch,
      callId: to.id,
      action: target === undefined ? '-' : REPLY_ACTIONS[target.mode],
      to: target === undefined ? '' : target.client,
      payload,
      deadReason,
      idem: to.idem === undefined ? '' : keys.idempotency(to.idem),
      idemTtlMs: to.idemTtl ?? DEFAULTS.idempotencyTtlMs,
      input: '',
    };
  }

  /**
   * Outputs of calls with an idempotency key stay inline: complete-4.lua copies that reply to
   * later callers with the same key, who could not all read (and delete) one stored output.
   */
  function ok(keys: QueueKeys, lease: Lease, to: Addressee, output: unknown, fp: string): OkSettlement {
    const fields = { id: to.id, ok: true as const, output: serializer.serialize(output), fp };
    const payload = encodeReply(fields);
    if (!storeLargeResults || !isStoredSize(payload) || to.reply === undefined || to.idem !== undefined) return reply(keys, lease, to, sign(payload));
    const form = storedReply(payload, fields, lease.token);
    return { ...reply(keys, lease, to, sign(form.envelope, form.payload)), storedOutput: { text: form.payload, inline: sign(payload) } };
  }

  function error(keys: QueueKeys, lease: Lease, to: Addressee, fp: string | undefined, err: TaskwireError<string, unknown>, deadReason = ''): Settlement {
    const json = err.toJSON();
    const payload = encodeReply({
      id: to.id,
      ok: false,
      error: json.data === undefined ? json : { ...json, data: serializer.serialize(json.data) },
      ...(fp ? { fp } : {}),
    });
    return reply(keys, lease, to, sign(payload), deadReason);
  }

  return { silent, retry, ok, error };
}
