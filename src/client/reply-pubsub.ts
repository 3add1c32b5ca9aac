import type { Connection } from '../transport/connection.js';

/**
 * Reply mode "pubsub": workers PUBLISH each result on this client's channel. Lighter than reply
 * keys (nothing stored), but a result published while the client is disconnected is lost and
 * the call ends by its deadline; use "key" mode where that matters.
 */
export class ReplyPubSub {
  readonly #sub: Connection;
  readonly #channel: string;
  #ready: Promise<void> | undefined;
  /** Subscribed (ioredis re-subscribes by itself after a reconnect). */
  isReady = false;

  constructor(sub: Connection, channel: string, onReply: (raw: string) => void) {
    this.#sub = sub;
    this.#channel = channel;
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.#channel) onReply(message);
    });
  }

  /** Subscribes once; a call must not be enqueued before its reply channel is listened to. */
  ready(): Promise<void> {
    this.#ready ??= this.#sub.subscribe(this.#channel).then(
      () => {
        this.isReady = true;
      },
      (err: unknown) => {
        this.#ready = undefined;
        throw err;
      },
    );
    return this.#ready;
  }
}
