import type { Logger } from '../logger.js';
import { replyChannel, type QueueKeys } from '../wire/keys.js';
import { closeConnection, isCluster, openConnection, type Connection, type RedisSource } from '../transport/connection.js';
import { ReplyStore } from '../transport/reply-store.js';
import { ReplyInbox } from './reply-inbox.js';
import { ReplyPubSub } from './reply-pubsub.js';

export interface ReplyReceiversOptions {
  redis: RedisSource;
  clientId: string;
  prefix: string;
  queues: readonly QueueKeys[];
  /** Pub/sub replies on each queue's shard channel (SSUBSCRIBE per queue) instead of one channel. */
  sharded: boolean;
  /** The client's command connection (the inboxes' HDEL and sweep go there). */
  commands: Connection;
  onReply: (raw: string, keys?: QueueKeys) => void;
  /** Whether any key-mode call waits (the inbox loop sleeps otherwise). */
  hasKeyModeCalls: () => boolean;
  logger: Logger;
}

/**
 * Where a client hears its replies, opened on first use: for reply mode "key", one BLMPOP loop
 * over the inboxes of all its queues on a single Redis (on a cluster the queues' inboxes live in
 * different slots, each beside its queue, so one loop per queue); for "pubsub", one subscriber.
 */
export class ReplyReceivers {
  readonly #o: ReplyReceiversOptions;
  #inboxes: ReplyInbox[] = [];
  readonly #blocking: Connection[] = [];
  #pubsub: ReplyPubSub | undefined;
  readonly #channels = new Map<QueueKeys, string>();
  #subscriber: Connection | undefined;

  constructor(options: ReplyReceiversOptions) {
    this.#o = options;
  }

  /** A key-mode call was added: the inbox loops run (opened the first time). */
  keyModeCall(): void {
    for (const inbox of this.#inboxesReady()) inbox.poke();
  }

  #inboxesReady(): ReplyInbox[] {
    if (this.#inboxes.length > 0) return this.#inboxes;
    const o = this.#o;
    const groups = isCluster(o.redis) ? o.queues.map((k) => [k]) : [[...o.queues]];
    this.#inboxes = groups.map((queues, i) => {
      const blocking = openConnection(o.redis, { name: `tw-client-${o.clientId}-inbox${i || ''}`, blocking: true });
      this.#blocking.push(blocking);
      blocking.on('error', () => undefined);
      // If only this connection dropped right after BLMPOP popped some replies, they are gone
      // from the inbox but still sit in the replies hash: look for them on reconnect.
      let first = true;
      blocking.on('ready', () => {
        if (!first) void this.sweep();
        first = false;
      });
      return new ReplyInbox({
        blocking: new ReplyStore(blocking, o.clientId),
        commands: new ReplyStore(o.commands, o.clientId),
        queues,
        onReply: o.onReply,
        hasWaiters: o.hasKeyModeCalls,
        logger: o.logger,
      });
    });
    return this.#inboxes;
  }

  /**
   * true once subscribed to where a call of queue `keys` is answered by pub/sub (the client's
   * reply channel, or with `sharded` that queue's shard channel), else a promise of it.
   */
  pubsubReady(keys: QueueKeys): true | Promise<void> {
    if (!this.#pubsub) {
      const o = this.#o;
      this.#subscriber = openConnection(o.redis, { name: `tw-client-${o.clientId}-sub`, blocking: true, subscriber: true });
      this.#subscriber.on('error', () => undefined);
      this.#pubsub = new ReplyPubSub(this.#subscriber, o.sharded, (raw) => o.onReply(raw));
    }
    return this.#pubsub.ready(this.#channelOf(keys));
  }

  /** The channel a call of queue `keys` is answered on by pub/sub; built once per queue, not per call. */
  #channelOf(keys: QueueKeys): string {
    let channel = this.#channels.get(keys);
    if (channel === undefined) this.#channels.set(keys, (channel = this.#o.sharded ? keys.replyChannel(this.#o.clientId) : replyChannel(this.#o.prefix, this.#o.clientId)));
    return channel;
  }

  /** After a reconnect: replies whose BLMPOP answer was lost still sit in the replies hashes. */
  async sweep(): Promise<void> {
    await Promise.all(this.#inboxes.map((inbox) => inbox.sweep().catch(() => undefined)));
  }

  /** Stops the loops, deletes the client's inboxes and replies hashes, closes the connections. */
  async close(): Promise<void> {
    for (const inbox of this.#inboxes) inbox.close();
    // Nobody reads this client's inboxes and replies hashes any more: gone now, not at their TTL.
    // Not awaited: written before the QUIT on the command connection, and bounded by its wait
    // when Redis is unreachable.
    for (const inbox of this.#inboxes) void inbox.discard();
    // The blocking connections may sit in BLMPOP; disconnecting is the only way to end it at once.
    for (const b of this.#blocking) b.disconnect(false);
    const conns = [...this.#blocking, this.#subscriber].filter((c): c is Connection => c !== undefined);
    await Promise.all(conns.map((c) => closeConnection(c)));
  }
}
