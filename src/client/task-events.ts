import { ERROR_CODES, TaskwireError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RouteTable } from '../contract/route.js';
import type { Serializer } from '../wire/serializer.js';
import { decodeTaskEvent, type TaskEvent } from '../wire/task-event.js';
import { closeConnection, openConnection, type Connection, type RedisSource } from '../transport/connection.js';
import { EventStore } from '../transport/event-store.js';
import { queueKeys, type QueueKeys } from '../wire/keys.js';

export interface EventsOptions {
  /** Aborting ends the stream (as close() does). */
  signal?: AbortSignal;
  /**
   * Events kept for a consumer that falls behind; past this the oldest go (counted in
   * `dropped`). Default 10,000. Events are for observers: a result someone awaits never
   * depends on them.
   */
  maxBuffered?: number;
}

/** The completions and final failures of one task while subscribed (client.$events). */
export interface TaskEvents<O> extends AsyncIterable<TaskEvent<O>> {
  /**
   * Resolves once subscribed and every live worker has said it heard of this listener (at most
   * ACK_WAIT_MS of waiting for them): calls that settle after it are seen.
   */
  readonly ready: Promise<void>;
  /** Events dropped because the consumer fell more than maxBuffered behind. */
  readonly dropped: number;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A watch is renewed this often, and lasts three times as long (a listener that died stops costing). */
const RENEW_MS = 5_000;
/** How long `ready` waits for the acks of the workers that were told. */
const ACK_WAIT_MS = 1_000;

export interface EventHubOptions {
  redis: RedisSource;
  prefix: string;
  clientId: string;
  commands: Connection;
  serializer: Serializer;
  routes: RouteTable;
  logger: Logger;
  /** Listen on the task's queue's shard channel (SSUBSCRIBE) rather than plain pub/sub. */
  sharded: boolean;
}

/**
 * One subscriber connection per client for all its event streams (opened with the first), and
 * the watches that make workers publish (transport/event-store.ts).
 */
export class EventHub {
  readonly #o: EventHubOptions;
  readonly #store: EventStore;
  readonly #streams = new Map<string, Set<Stream>>();
  /** Channels subscribed to (or being subscribed to): the streams of a task share one. */
  readonly #subscribed = new Map<string, Promise<unknown>>();
  #sub: Connection | undefined;
  #next = 0;

  constructor(options: EventHubOptions) {
    this.#o = options;
    this.#store = new EventStore(options.commands, options.prefix);
  }

  open(task: string, options: EventsOptions = {}): TaskEvents<unknown> {
    if (!this.#o.routes.has(task)) throw new TaskwireError(ERROR_CODES.UNKNOWN_TASK, `unknown task "${task}"`, { data: { task } });
    const max = options.maxBuffered ?? 10_000;
    if (!(Number.isInteger(max) && max >= 1)) throw new TaskwireError(ERROR_CODES.VALIDATION, `maxBuffered must be an integer >= 1, got ${String(max)}`);
    const stream = new Stream(task, `${this.#o.clientId}.e${(this.#next++).toString(36)}`, max, (s) => this.#remove(s));
    const channel = this.#channel(task);
    const set = this.#streams.get(channel) ?? new Set();
    set.add(stream);
    this.#streams.set(channel, set);
    stream.ready = this.#start(stream, channel);
    // `ready` rejecting is the stream's end, not an unhandled rejection for a caller that never looks.
    stream.ready.catch(() => undefined);
    if (options.signal?.aborted) void stream.close();
    else options.signal?.addEventListener('abort', () => void stream.close(), { once: true });
    return stream;
  }

  async #start(stream: Stream, channel: string): Promise<void> {
    let subscribed = this.#subscribed.get(channel);
    if (!subscribed) {
      const sub = this.#subscriber();
      this.#subscribed.set(channel, (subscribed = this.#o.sharded ? sub.ssubscribe(channel) : sub.subscribe(channel)));
    }
    await subscribed;
    if (stream.closed) return;
    const shard = this.#shard(stream.task);
    const told = await this.#store.watch(stream.task, stream.listener, 3 * RENEW_MS, true, shard);
    // Closed while the watch was written: its removal ran before it, so undo the watch here.
    if (stream.closed) {
      await this.#store.unwatch(stream.task, stream.listener, shard);
      return;
    }
    stream.renewal = setInterval(() => {
      this.#store.watch(stream.task, stream.listener, 3 * RENEW_MS, false, shard).catch(() => undefined);
    }, RENEW_MS);
    stream.renewal.unref?.();
    await stream.acked(told, ACK_WAIT_MS);
  }

  /** With sharded pub/sub: the task's queue, whose shard carries its events. */
  #shard(task: string): QueueKeys | undefined {
    const route = this.#o.routes.get(task);
    // A partitioned queue's events go with its partition 0 (as its schedules: docs/PARTITIONS.md).
    return this.#o.sharded && route ? queueKeys(this.#o.prefix, route.queue, route.partitions === undefined ? undefined : 0) : undefined;
  }

  #channel(task: string): string {
    return this.#shard(task)?.eventChannel(task) ?? this.#store.keys.channel(task);
  }

  #subscriber(): Connection {
    if (this.#sub) return this.#sub;
    const sub = openConnection(this.#o.redis, { name: `tw-client-${this.#o.clientId}-events`, blocking: true, subscriber: true });
    sub.on('error', () => undefined);
    sub.on(this.#o.sharded ? 'smessage' : 'message', (channel: string, text: string) => {
      const streams = this.#streams.get(channel);
      if (!streams) return;
      const event = decodeTaskEvent(text, this.#o.serializer);
      if (event === undefined) return;
      for (const s of streams) {
        if ('ack' in event) s.ack(event.ack);
        else s.push(event);
      }
    });
    this.#sub = sub;
    return sub;
  }

  async #remove(stream: Stream): Promise<void> {
    clearInterval(stream.renewal);
    const channel = this.#channel(stream.task);
    const set = this.#streams.get(channel);
    set?.delete(stream);
    const last = set !== undefined && set.size === 0;
    if (last) {
      this.#streams.delete(channel);
      this.#subscribed.delete(channel);
    }
    await Promise.all([
      this.#store.unwatch(stream.task, stream.listener, this.#shard(stream.task)).catch(() => undefined),
      last && this.#sub?.status === 'ready' ? (this.#o.sharded ? this.#sub.sunsubscribe(channel) : this.#sub.unsubscribe(channel)).catch(() => undefined) : undefined,
    ]);
  }

  async close(): Promise<void> {
    const all = [...this.#streams.values()].flatMap((s) => [...s]);
    await Promise.all(all.map((s) => s.close()));
    if (this.#sub) await closeConnection(this.#sub);
    this.#sub = undefined;
  }
}

/** One listener's events: a buffer, and the consumer waiting on it. */
class Stream implements TaskEvents<unknown> {
  ready: Promise<void> = Promise.resolve();
  dropped = 0;
  closed = false;
  renewal: ReturnType<typeof setInterval> | undefined;
  readonly #buffer: Array<TaskEvent<unknown>> = [];
  #wake: (() => void) | undefined;
  readonly #acks = new Set<string>();
  #ackWaiter: { want: number; done: () => void } | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    readonly task: string,
    readonly listener: string,
    readonly max: number,
    readonly remove: (s: Stream) => Promise<void>,
  ) {}

  push(event: TaskEvent<unknown>): void {
    if (this.closed) return;
    if (this.#buffer.length >= this.max) {
      this.#buffer.shift();
      this.dropped++;
    }
    this.#buffer.push(event);
    this.#wake?.();
  }

  ack(worker: string): void {
    this.#acks.add(worker);
    const w = this.#ackWaiter;
    if (w && this.#acks.size >= w.want) w.done();
  }

  /** Waits for `want` workers' acks, at most `ms`. */
  acked(want: number, ms: number): Promise<void> {
    if (this.#acks.size >= want || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#ackWaiter = { want, done };
    });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.closed = true;
      this.#ackWaiter?.done();
      this.#wake?.();
      await this.remove(this);
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TaskEvent<unknown>> {
    try {
      for (;;) {
        const next = this.#buffer.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (this.closed) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
      }
    } finally {
      // A consumer that breaks out of its loop ends the stream.
      await this.close();
    }
  }
}
