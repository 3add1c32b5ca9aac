import type { QueueKeys } from '../wire/keys.js';
import type { Connection } from './connection.js';

/**
 * A client's replies in reply mode "key" (wire mode `hash`): workers push each reply on the
 * client's inbox list of the call's queue and keep it, until read, as a field of the client's
 * replies hash of that queue (complete-4.lua). This module holds the commands on those keys; the
 * loop that reads them is the client's (client/reply-inbox.ts).
 */
export class ReplyStore {
  readonly #redis: Connection;
  readonly #clientId: string;

  constructor(redis: Connection, clientId: string) {
    this.#redis = redis;
    this.#clientId = clientId;
  }

  inbox(k: QueueKeys): string {
    return k.inbox(this.#clientId);
  }

  repliesHash(k: QueueKeys): string {
    return k.replies(this.#clientId);
  }

  /**
   * Pops up to `count` replies from the first non-empty of `inboxes`, blocking up to `seconds`
   * (on a connection of its own): [inbox, replies] or null.
   */
  async pop(inboxes: readonly string[], seconds: number, count: number): Promise<[string, string[]] | null> {
    return (await this.#redis.call('BLMPOP', seconds, inboxes.length, ...inboxes, 'LEFT', 'COUNT', count)) as [string, string[]] | null;
  }

  /** One page of the replies hash: [next cursor, call id, reply, call id, reply, ...]. */
  scan(hash: string, cursor: string, count: number): Promise<[string, string[]]> {
    return this.#redis.hscan(hash, cursor, 'COUNT', count);
  }

  /** Deletes replies that have been read (a plain command, not auto-pipelined: see pipelining.ts). */
  delete(hash: string, callIds: readonly string[]): Promise<number> {
    return this.#redis.hdel(hash, ...callIds);
  }

  /** Deletes a queue's inbox and replies hash of this client (one UNLINK: they share a slot). */
  discard(k: QueueKeys): Promise<number> {
    return this.#redis.unlink(this.inbox(k), this.repliesHash(k));
  }
}
