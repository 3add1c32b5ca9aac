import type { Connection } from '../transport/connection.js';
import type { QueueKeys } from '../wire/keys.js';

/**
 * Reply mode "key": workers store each result at the call's own reply key (with a TTL) and push
 * it on this client's inbox list of that queue too. One blocking connection waits on all
 * inboxes at once (BLMPOP), so a client multiplexes every in-flight call over two connections;
 * the replies it pops are handled at once and their reply keys unlinked, one UNLINK per batch.
 * The reply keys are what survives a BLMPOP answer lost with its connection: the sweep after a
 * reconnect reads them (`fetch`).
 */
export class ReplyInbox {
  readonly #blocking: Connection;
  readonly #commands: Connection;
  readonly #inboxToKeys = new Map<string, QueueKeys>();
  readonly #onReply: (raw: string) => void;
  readonly #hasWaiters: () => boolean;
  #running = false;
  #closed = false;
  #wake: (() => void) | undefined;
  /** Read reply keys not unlinked yet, by queue key base: one UNLINK per hash tag (cluster slot). */
  #toUnlink = new Map<string, string[]>();

  constructor(options: {
    blocking: Connection;
    commands: Connection;
    clientId: string;
    queues: readonly QueueKeys[];
    onReply: (raw: string) => void;
    hasWaiters: () => boolean;
  }) {
    this.#blocking = options.blocking;
    this.#commands = options.commands;
    for (const k of options.queues) this.#inboxToKeys.set(k.inbox(options.clientId), k);
    this.#onReply = options.onReply;
    this.#hasWaiters = options.hasWaiters;
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
        const res = (await this.#blocking.call('BLMPOP', 1, inboxes.length, ...inboxes, 'LEFT', 'COUNT', 1000)) as
          | [string, string[]]
          | null;
        if (!res) continue;
        const keys = this.#inboxToKeys.get(res[0]);
        if (keys) await this.#popped(keys, res[1]);
      } catch {
        if (this.#closed) break;
        // Connection trouble: ioredis reconnects; pending calls are bounded by their deadlines.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async #popped(keys: QueueKeys, entries: readonly string[]): Promise<void> {
    const read: string[] = [];
    // Older workers pushed call ids, not replies (*Inbox entries* in docs/PROTOCOL.md): their
    // replies are fetched from the reply keys, so clients can be upgraded before workers.
    const notices: string[] = [];
    for (const entry of entries) {
      // A reply begins {"v":1,"id":"<id>" (13 characters before the id).
      if (entry.startsWith('{"v":1,"id":"')) {
        read.push(keys.reply(entry.slice(13, entry.indexOf('"', 13))));
        this.#onReply(entry);
      } else notices.push(keys.reply(entry));
    }
    if (read.length) this.#unlinkLater(keys.base, read);
    if (notices.length) await this.fetch(notices);
  }

  /** Reads and deletes results at the given reply keys (the sweep after a reconnect). */
  async fetch(replyKeys: readonly string[]): Promise<void> {
    // GET, then UNLINK; not GETDEL. When Redis dies after running the read but before its answer
    // reaches us, ioredis re-sends the command after reconnecting: a GETDEL would find nothing
    // and the result would be gone for good; a GET finds it again (and so does the sweep).
    // One MGET and one UNLINK per 1,000 keys, not a command per key: callers pass the keys of
    // one queue (one hash tag, so one slot on a cluster).
    for (let i = 0; i < replyKeys.length; i += 1000) {
      const chunk = replyKeys.slice(i, i + 1000);
      const values = await this.#commands.mget(chunk);
      const read = chunk.filter((_, j) => typeof values[j] === 'string');
      // A lost UNLINK leaves the key to its TTL; a reply read twice is ignored (its call is no
      // longer pending). An explicit pipeline is written at once, before the callers resume;
      // auto-pipelining would hold it back a turn of the event loop.
      if (read.length) this.#commands.pipeline().unlink(read).exec().catch(() => undefined);
      for (const value of values) if (typeof value === 'string') this.#onReply(value);
    }
  }

  /**
   * A lost UNLINK leaves the keys to their TTL; a reply read twice is ignored. No caller waits on
   * it, so it is written after the enqueues of the calls these replies let start: those are sent
   * in a setImmediate (EnqueueBatcher) scheduled by the time the microtasks have run, so a
   * setImmediate scheduled after them comes later (issue 5: sequential p50 0.30 → 0.28 ms). A
   * plain command, not auto-pipelined: see UNPIPELINED_COMMANDS. close() sends what is left.
   */
  #unlinkLater(base: string, replyKeys: readonly string[]): void {
    const scheduled = this.#toUnlink.size > 0;
    const list = this.#toUnlink.get(base);
    if (list) list.push(...replyKeys);
    else this.#toUnlink.set(base, [...replyKeys]);
    if (!scheduled) process.nextTick(() => setImmediate(() => void this.flushUnlinks()));
  }

  /** Sends the UNLINK of read reply keys not sent yet (close() awaits it before QUIT). */
  async flushUnlinks(): Promise<void> {
    const lists = [...this.#toUnlink.values()];
    this.#toUnlink.clear();
    const sends: Array<Promise<unknown>> = [];
    // One queue's keys share its hash tag (one cluster slot); chunks bound the argument list.
    for (const keys of lists) {
      for (let i = 0; i < keys.length; i += 1000) sends.push(this.#commands.unlink(keys.slice(i, i + 1000)).catch(() => undefined));
    }
    await Promise.all(sends);
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }
}
