import type { Logger } from '../logger.js';
import { redisErrorCode } from '../transport/connection.js';
import type { ReplyStore } from '../transport/reply-store.js';
import { envelopeId } from '../wire/protocol.js';
import type { QueueKeys } from '../wire/keys.js';

/** How long read replies wait to be deleted together (see #deleteLater). */
const DELETE_EVERY_MS = 20;

/**
 * Reply mode "key": workers push each reply on this client's inbox list of the call's queue and
 * keep it, until read, as a field of the client's replies hash of that queue (wire mode `hash`,
 * transport/reply-store.ts). One blocking connection waits on all inboxes at once (BLMPOP), so a client
 * multiplexes every in-flight call over two connections; the replies it pops are handled at once
 * and their fields deleted, one HDEL per queue every 20 ms. The hash is what survives a BLMPOP
 * answer lost with its connection: the sweep after a reconnect reads it (`sweep`).
 */
export class ReplyInbox {
  /** On the blocking connection (BLMPOP) and on the command connection (the rest). */
  readonly #blocking: ReplyStore;
  readonly #commands: ReplyStore;
  readonly #inboxToKeys = new Map<string, QueueKeys>();
  readonly #onReply: (raw: string, keys: QueueKeys) => void;
  readonly #hasWaiters: () => boolean;
  readonly #logger: Logger;
  /** Told once: a refusal repeats with every delete. */
  #refusalLogged = false;
  #running = false;
  #closed = false;
  #wake: (() => void) | undefined;
  /** Call ids of read replies whose fields are not deleted yet, by replies hash (one per queue). */
  #toDelete = new Map<string, string[]>();

  constructor(options: {
    blocking: ReplyStore;
    commands: ReplyStore;
    queues: readonly QueueKeys[];
    onReply: (raw: string, keys: QueueKeys) => void;
    hasWaiters: () => boolean;
    logger: Logger;
  }) {
    this.#blocking = options.blocking;
    this.#commands = options.commands;
    for (const k of options.queues) this.#inboxToKeys.set(options.commands.inbox(k), k);
    this.#onReply = options.onReply;
    this.#hasWaiters = options.hasWaiters;
    this.#logger = options.logger;
  }

  /** Called when a key-mode call is added; starts or wakes the loop. */
  poke(): void {
    if (!this.#running) {
      this.#running = true;
      void this.#loop();
    }
    this.#wake?.();
  }

  async #loop(): Promise<void> {
    const inboxes = [...this.#inboxToKeys.keys()];
    while (!this.#closed) {
      if (!this.#hasWaiters()) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      try {
        // A bounded block so a lost wake-up or a silently dead socket costs at most a second.
        const res = await this.#blocking.pop(inboxes, 1, 1000);
        if (!res) continue;
        const keys = this.#inboxToKeys.get(res[0]);
        if (keys) this.#popped(keys, res[1]);
      } catch {
        if (this.#closed) break;
        // Connection trouble: ioredis reconnects; pending calls are bounded by their deadlines.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  #popped(keys: QueueKeys, entries: readonly string[]): void {
    const read: string[] = [];
    for (const entry of entries) {
      const id = envelopeId(entry);
      if (id === undefined) continue; // Not a reply; nothing to settle or delete.
      read.push(id);
      this.#onReply(entry, keys);
    }
    if (read.length) this.#deleteLater(this.#commands.repliesHash(keys), read);
  }

  /**
   * The sweep after a reconnect: settles from every reply in this client's replies hashes and
   * deletes what it read. That covers replies whose BLMPOP answer was lost with the connection,
   * and also deletes those of calls that ended meanwhile (timed out), which would otherwise stay
   * as long as this client keeps the hash alive. A reply still on the inbox is read twice; the
   * second one finds its call settled and is ignored.
   */
  async sweep(): Promise<void> {
    await Promise.all(
      [...this.#inboxToKeys.values()].map(async (keys) => {
        const hash = this.#commands.repliesHash(keys);
        // HSCAN, not HGETALL: a hash of thousands of replies comes in bounded answers. Fields
        // deleted or added meanwhile are fine: SCAN returns every field present throughout.
        let cursor = '0';
        do {
          const [next, flat] = await this.#commands.scan(hash, cursor, 1000);
          cursor = next;
          const ids: string[] = [];
          for (let i = 0; i + 1 < flat.length; i += 2) {
            ids.push(flat[i] as string);
            this.#onReply(flat[i + 1] as string, keys);
          }
          if (ids.length) await this.#commands.delete(hash, ids);
        } while (cursor !== '0');
      }).map((p) => p.catch((err: unknown) => this.#refused(err))),
    );
  }

  /**
   * A lost connection needs no word (the sweep after the reconnect reads the hash again); Redis
   * refusing a read or delete of the replies hash (an ACL) does: read replies then stay in it.
   */
  #refused(err: unknown): void {
    const code = redisErrorCode(err);
    if (code === undefined || this.#refusalLogged) return;
    this.#refusalLogged = true;
    this.#logger.warn('taskwire: Redis refused reading or deleting replies this client has read; they stay in its replies hash while workers write to it (an ACL needs HSCAN and HDEL on the queue keys)', {
      code,
      error: (err as Error).message,
    });
  }

  /**
   * Read replies are deleted in one HDEL per queue every DELETE_EVERY_MS, not per popped batch:
   * one call at a time, an HDEL per call was an extra command and answer, so an extra wake-up,
   * each time (A/B at 1 in flight: client CPU per call 212 -> 193 us, a first run 213 -> 208;
   * issue 5, docs/PERFORMANCE.md item 17). Keeping a read reply
   * a few ms longer costs nothing: the sweep after a reconnect ignores replies of settled calls,
   * and close() deletes the whole hash. A lost HDEL leaves the fields to the hash's TTL (or the
   * next sweep). A plain command, not auto-pipelined: see pipelining.ts.
   */
  #deleteLater(hash: string, callIds: readonly string[]): void {
    const scheduled = this.#toDelete.size > 0;
    const list = this.#toDelete.get(hash);
    if (list) list.push(...callIds);
    else this.#toDelete.set(hash, [...callIds]);
    if (!scheduled) setTimeout(() => void this.#flushDeletes(), DELETE_EVERY_MS).unref();
  }

  /**
   * On close: deletes this client's inboxes and replies hashes (replies of later settles
   * recreate them, and they expire). One UNLINK per queue: its keys share one cluster slot.
   */
  async discard(): Promise<void> {
    this.#toDelete.clear();
    await Promise.all(
      [...this.#inboxToKeys.values()].map((keys) => this.#commands.discard(keys).catch(() => undefined)),
    );
  }

  /** Sends the HDEL of read replies not sent yet. */
  async #flushDeletes(): Promise<void> {
    const lists = [...this.#toDelete];
    this.#toDelete.clear();
    const sends: Array<Promise<unknown>> = [];
    // One queue's hash (one cluster slot); chunks bound the argument list.
    for (const [hash, ids] of lists) {
      for (let i = 0; i < ids.length; i += 1000) sends.push(this.#commands.delete(hash, ids.slice(i, i + 1000)).catch((err: unknown) => this.#refused(err)));
    }
    await Promise.all(sends);
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }
}
