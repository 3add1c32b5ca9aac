import { ERROR_CODES, TaskwireError } from '../errors.js';
import type { CallEnvelope } from '../wire/envelope.js';
import { hasProtoKey, PROTO_KEY_REASON } from '../wire/proto-keys.js';
import type { QueueKeys } from '../wire/keys.js';
import { redisErrorCode } from '../transport/connection.js';
import type { PayloadStore } from '../transport/payload-store.js';

/** The input's text when it could be read; the error when it cannot be used (a text that is not JSON has both). */
export interface InputRead {
  text?: string;
  error?: TaskwireError<string, unknown>;
}

/**
 * Reads a call's stored input (protocol.ts STORED_PAYLOAD_BYTES): its text, or why not. At most
 * maxBytes + 1 bytes are read, so an oversized input written by someone else is refused without
 * loading it all.
 */
export async function readStoredInput(payloads: PayloadStore, keys: QueueKeys, env: CallEnvelope, maxBytes: number): Promise<InputRead> {
  const data = { task: env.task };
  let body: Buffer;
  try {
    body = await payloads.readInput(keys, env.id, maxBytes);
  } catch (err) {
    // A refusal that will not pass on redelivery (an ACL without input keys, a wrong type) is
    // answered now. Anything else (a lost connection, BUSY, LOADING) throws: the call comes
    // back when its lease expires.
    const code = redisErrorCode(err);
    if (code !== 'NOPERM' && code !== 'WRONGTYPE') throw err;
    return { error: new TaskwireError(ERROR_CODES.PROTOCOL, `the stored input of ${env.task} cannot be read: ${(err as Error).message}`, { data }) };
  }
  // GETRANGE answers "" for a missing key; a serialized input is never empty.
  if (body.length === 0) return { error: new TaskwireError(ERROR_CODES.PROTOCOL, `the stored input of ${env.task} is gone (expired or deleted)`, { data }) };
  if (body.length > maxBytes) {
    return {
      error: new TaskwireError(ERROR_CODES.PAYLOAD_TOO_LARGE, `stored input of ${env.task} is over the worker's ${maxBytes}-byte limit`, {
        data: { ...data, limit: maxBytes },
      }),
    };
  }
  return { text: body.toString('utf8') };
}

/** Puts a stored input into the envelope; the error when it cannot be read or is not JSON. */
export async function loadStoredInput(payloads: PayloadStore, keys: QueueKeys, env: CallEnvelope, maxBytes: number): Promise<InputRead> {
  const read = await readStoredInput(payloads, keys, env, maxBytes);
  if (read.text === undefined) return read;
  try {
    const input: unknown = JSON.parse(read.text);
    if (hasProtoKey(read.text, input)) {
      return { text: read.text, error: new TaskwireError(ERROR_CODES.PROTOCOL, `the stored input of ${env.task}: ${PROTO_KEY_REASON}`, { data: { task: env.task } }) };
    }
    env.input = input;
    return read;
  } catch (err) {
    const error = new TaskwireError(ERROR_CODES.PROTOCOL, `the stored input of ${env.task} is not JSON: ${(err as Error).message}`, { data: { task: env.task } });
    return { text: read.text, error };
  }
}
