import type { Connection, RedisSource } from '../transport/connection.js';
import { openConnection } from '../transport/connection.js';
import { PayloadStore } from '../transport/payload-store.js';
import type { QueueKeys } from '../wire/keys.js';

/**
 * The client's side of stored payloads (protocol.ts STORED_PAYLOAD_BYTES, docs/PROTOCOL.md):
 * large inputs written to keys of their own over a connection kept for them, deleted when no
 * worker will read them, and large results read from theirs. Which calls store what is decided
 * in outgoing-call.ts.
 */
export class StoredPayloads {
  readonly #commands: PayloadStore;
  #bulkStore: PayloadStore | undefined;
  readonly #redis: RedisSource;
  readonly #name: string;
  /**
   * Inputs go over a connection of their own, opened with the first: behind megabytes of them,
   * enqueues and UNLINKs on the command connection waited their turn and the worker starved
   * (1 MB inputs, 100 in flight: 100-133 calls/s, 125-160 with it, in one noisy hour).
   */
  #bulk: Connection | undefined;

  constructor(commands: Connection, redis: RedisSource, clientId: string) {
    this.#commands = new PayloadStore(commands);
    this.#redis = redis;
    this.#name = `tw-client-${clientId}-bulk`;
  }

  /** Writes a call's input; resolves once Redis has it (the call may be enqueued then, not before). */
  writeInput(keys: QueueKeys, callId: string, text: string, timeoutMs: number): Promise<unknown> {
    if (!this.#bulkStore) {
      this.#bulk = openConnection(this.#redis, { name: this.#name });
      this.#bulk.on('error', () => undefined);
      this.#bulkStore = new PayloadStore(this.#bulk);
    }
    return this.#bulkStore.writeInput(keys, callId, text, timeoutMs);
  }

  /** Deletes the input of a call no worker will take (best effort: it expires anyway). */
  dropInput(keys: QueueKeys, callId: string): void {
    this.#commands.dropInput(keys, callId);
  }

  /** Deletes a stored result nobody will read (best effort: it expires anyway). */
  dropOutput(keys: QueueKeys, callId: string, token: string): void {
    this.#commands.dropOutput(keys, callId, token);
  }

  /** A stored result's text (deleted once read), or null if it is gone. */
  readOutput(keys: QueueKeys, callId: string, token: string): Promise<string | null> {
    return this.#commands.readOutput(keys, callId, token);
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
