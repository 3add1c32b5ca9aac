import { STORED_INPUT_GRACE_MS } from '../wire/protocol.js';
import type { QueueKeys } from '../wire/keys.js';
import type { Connection } from './connection.js';

/**
 * Stored payloads (protocol.ts STORED_PAYLOAD_BYTES, docs/PROTOCOL.md *Stored payloads*): large
 * inputs and results in keys of their own beside the queue, moved with plain SET / GETRANGE /
 * GET that Lua never sees. Which calls store what is the caller's and the worker's decision;
 * this module only knows the keys and the commands.
 */
export class PayloadStore {
  readonly #redis: Connection;

  constructor(redis: Connection) {
    this.#redis = redis;
  }

  /** Writes a call's input; resolves once Redis has it (the call may be enqueued then, not before). */
  writeInput(k: QueueKeys, callId: string, text: string, timeoutMs: number): Promise<unknown> {
    return this.#redis.set(k.input(callId), text, 'PX', timeoutMs + STORED_INPUT_GRACE_MS);
  }

  /**
   * At most `maxBytes + 1` bytes of a stored input, so an oversized one written by someone else
   * is refused without loading it all. Empty when the key is missing (an input is never empty).
   */
  readInput(k: QueueKeys, callId: string, maxBytes: number): Promise<Buffer> {
    return this.#redis.getrangeBuffer(k.input(callId), 0, maxBytes);
  }

  /** Deletes an input no worker will read (best effort: it expires anyway). */
  dropInput(k: QueueKeys, callId: string): void {
    this.#redis.unlink(k.input(callId)).catch(() => undefined);
  }

  /** Writes a result under the lease token it was computed under (a fenced worker never overwrites another's). */
  writeOutput(k: QueueKeys, callId: string, token: string, text: string, ttlMs: number): Promise<unknown> {
    return this.#redis.set(k.output(callId, token), text, 'PX', ttlMs);
  }

  /**
   * A stored result's text, or null if it is gone. GET, then UNLINK once read; not GETDEL: ioredis
   * re-sends a command whose answer a dropped connection lost, and a re-sent GETDEL would find
   * nothing (the key's TTL covers an UNLINK that is lost).
   */
  async readOutput(k: QueueKeys, callId: string, token: string): Promise<string | null> {
    const key = k.output(callId, token);
    const text = await this.#redis.get(key);
    if (text !== null) this.#redis.unlink(key).catch(() => undefined);
    return text;
  }

  /** Deletes a stored result nobody will read (best effort: it expires anyway). */
  dropOutput(k: QueueKeys, callId: string, token: string): void {
    this.#redis.unlink(k.output(callId, token)).catch(() => undefined);
  }
}
