import type { Connection, RedisSource } from '../transport/connection.js';
import { openConnection } from '../transport/connection.js';
import { STORED_INPUT_GRACE_MS, type QueueKeys } from '../wire/keys.js';

/**
 * The client's side of stored payloads (wire/keys.ts STORED_PAYLOAD_BYTES, docs/PROTOCOL.md):
 * large inputs written to keys of their own, deleted when no worker will read them, and large
 * results read from theirs. Which calls store what is the caller's decision (caller.ts).
 */
export class StoredPayloads {
  readonly #commands: Connection;
  readonly #redis: RedisSource;
  readonly #name: string;
  /**
   * Inputs go over a connection of their own, opened with the first: behind megabytes of them,
   * enqueues and UNLINKs on the command connection waited their turn and the worker starved
   * (1 MB inputs, 100 in flight: 100-133 calls/s, 125-160 with it, in one noisy hour).
   */
  #bulk: Connection | undefined;

  constructor(commands: Connection, redis: RedisSource, clientId: string) {
    this.#commands = commands;
    this.#redis = redis;
    this.#name = `tw-client-${clientId}-bulk`;
  }

  /** Writes a call's input; resolves once Redis has it (the call may be enqueued then, not before). */
  writeInput(keys: QueueKeys, callId: string, text: string, timeoutMs: number): Promise<unknown> {
    if (!this.#bulk) {
      this.#bulk = openConnection(this.#redis, { name: this.#name });
      this.#bulk.on('error', () => undefined);
    }
    return this.#bulk.set(keys.input(callId), text, 'PX', timeoutMs + STORED_INPUT_GRACE_MS);
  }

  /** Deletes the input of a call no worker will take (best effort: it expires anyway). */
  dropInput(keys: QueueKeys, callId: string): void {
    this.#commands.unlink(keys.input(callId)).catch(() => undefined);
  }

  /** Deletes a stored result nobody will read (best effort: it expires anyway). */
  dropOutput(keys: QueueKeys, callId: string, token: string): void {
    this.#commands.unlink(keys.output(callId, token)).catch(() => undefined);
  }

  /**
   * A stored result's text, or null if it is gone. GET, then UNLINK once read; not GETDEL: ioredis
   * re-sends a command whose answer a dropped connection lost, and a re-sent GETDEL would find
   * nothing (the key's TTL covers an UNLINK that is lost).
   */
  async readOutput(keys: QueueKeys, callId: string, token: string): Promise<string | null> {
    const key = keys.output(callId, token);
    const text = await this.#commands.get(key);
    if (text !== null) this.#commands.unlink(key).catch(() => undefined);
    return text;
  }

  /** Whether inputs cannot be written now (a call waiting for one is then unreachable, not slow). */
  get inputsDown(): boolean {
    return this.#bulk?.status !== 'ready';
  }

  /** The bulk connection, if opened, for close(). */
  get connection(): Connection | undefined {
    return this.#bulk;
  }
}
