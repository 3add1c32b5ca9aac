import { createHash } from 'node:crypto';
import { ERROR_CODES, TaskwireError } from '../errors.js';
import { canonicalJson } from '../contract/canonical-json.js';
import { bytesOver, encodeCall, storedCall, type CallEnvelope } from '../wire/envelope.js';
import { isStoredSize } from '../wire/protocol.js';
import type { Serializer } from '../wire/serializer.js';

/** A call ready to enqueue: its envelope, and its input's text when that is stored apart. */
export interface Encoded {
  raw: string;
  /** The input's JSON text to SET at its own key before the enqueue (protocol.ts STORED_PAYLOAD_BYTES). */
  storedInput: string | undefined;
  /**
   * For a call with an idempotency key: a hash of its task and serialized input (keys in any
   * order hash alike), so a key reused with another input is refused (IDEMPOTENCY_CONFLICT).
   */
  inputHash: string | undefined;
}

/**
 * Serializes, encodes and size-checks one call: its envelope, in the stored form when it is
 * large. `fields.input` holds the caller's input and is replaced by its serialized form (one
 * object per call, not two). Throws a TaskwireError (VALIDATION, PAYLOAD_TOO_LARGE) for a call
 * that cannot be sent.
 */
export function encodeOutgoing(fields: Omit<CallEnvelope, 'v'>, serializer: Serializer, maxPayloadBytes: number, storeLargeInputs: boolean): Encoded {
  const path = fields.task;
  try {
    fields.input = serializer.serialize(fields.input);
  } catch (err) {
    throw new TaskwireError(ERROR_CODES.VALIDATION, `input of ${path} cannot be serialized: ${String(err)}`, { cause: err });
  }
  let raw: string;
  try {
    raw = encodeCall(fields);
  } catch (err) {
    // A custom serializer's output JSON cannot hold (a BigInt, a cycle).
    throw new TaskwireError(ERROR_CODES.VALIDATION, `call of ${path} cannot be encoded: ${String(err)}`, { cause: err });
  }
  const limit = maxPayloadBytes;
  const bytes = bytesOver(raw, limit);
  if (bytes !== undefined) {
    throw new TaskwireError(ERROR_CODES.PAYLOAD_TOO_LARGE, `call of ${path} is ${bytes} bytes, over the ${limit}-byte limit`, {
      data: { task: path, bytes, limit },
    });
  }
  const inputHash = fields.idem === undefined ? undefined : createHash('sha256').update(`${path}\n${canonicalJson(fields.input)}`).digest('hex').slice(0, 16);
  // A large input goes to a key of its own with a plain SET, and the queue and the scripts only
  // ever see the small envelope.
  if (!storeLargeInputs || !isStoredSize(raw)) return { raw, storedInput: undefined, inputHash };
  const form = storedCall(raw, fields);
  return { raw: form.envelope, storedInput: form.payload, inputHash };
}
