import type { Connection } from '../transport/connection.js';

/**
 * Reply mode "pubsub": workers PUBLISH each result on this client's channel or, with sharded
 * pub/sub, SPUBLISH it on the channel of the call's queue (one per queue, on the queue's shard:
 * a Cluster then carries a reply to one node instead of all). Lighter than reply keys (nothing
 * stored), but a result published while the client is disconnected is lost and the call ends by
 * its deadline; use "key" mode where that matters.
 */
export class ReplyPubSub {
  readonly #sub: Connection;
  readonly #sharded: boolean;
  /** Each channel subscribed or being subscribed; ioredis subscribes again after a reconnect. */
  readonly #channels = new Map<string, true | Promise<void>>();

  constructor(sub: Connection, sharded: boolean, onReply: (raw: string) => void) {
    this.#sub = sub;
    this.#sharded = sharded;
    sub.on(sharded ? 'smessage' : 'message', (channel: string, message: string) => {
      if (this.#channels.get(channel) === true) onReply(message);
    });
  }

  /** Subscribes once per channel; a call must not be enqueued before its reply channel is listened to. */
  ready(channel: string): true | Promise<void> {
    let state = this.#channels.get(channel);
    if (state === undefined) {
      const subscribed: Promise<unknown> = this.#sharded ? this.#sub.ssubscribe(channel) : this.#sub.subscribe(channel);
      state = subscribed.then(
        () => {
          this.#channels.set(channel, true);
        },
        (err: unknown) => {
          this.#channels.delete(channel);
          throw err;
        },
      );
      this.#channels.set(channel, state);
    }
    return state;
  }
}
