import type { TaskwireError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CallEnvelope } from '../wire/envelope.js';
import type { Serializer } from '../wire/serializer.js';
import { encodeAck, encodeFailedEvent, encodeOkEvent } from '../wire/task-event.js';
import { redisErrorCode } from '../transport/connection.js';
import type { EventRoutes, EventStore } from '../transport/event-store.js';
import type { QueueKeys } from '../wire/keys.js';

/**
 * Publishes completion events of the tasks someone watches (client.$events; docs/WORKFLOWS.md).
 * Which tasks are watched is read with each maintenance tick and whenever a new listener says
 * so: a call of a task nobody watches costs one Set lookup, and no command.
 */
export class EventPublisher {
  #watched: ReadonlyMap<string, EventRoutes> = new Map();
  readonly #store: () => EventStore;
  readonly #serializer: Serializer;
  readonly #workerId: string;
  readonly #logger: Logger;
  /** The queue of a task this worker serves: its sharded event channel lives there. */
  readonly #queueOf: (task: string) => QueueKeys | undefined;
  #refused = false;

  constructor(store: () => EventStore, serializer: Serializer, workerId: string, logger: Logger, queueOf: (task: string) => QueueKeys | undefined) {
    this.#store = store;
    this.#serializer = serializer;
    this.#workerId = workerId;
    this.#logger = logger;
    this.#queueOf = queueOf;
  }

  /**
   * Never throws: events are an extra, and a worker whose Redis user may not read the watches
   * (an ACL scoped to its queues' keys) still runs every call. Said once, with the reason.
   */
  async refresh(): Promise<void> {
    try {
      this.#watched = await this.#store().watched();
    } catch (err) {
      this.#watched = new Map();
      if (redisErrorCode(err) === 'NOPERM' && !this.#refused) {
        this.#refused = true;
        this.#logger.warn(`taskwire: completion events are off for this worker: its Redis user may not read ${this.#store().keys.watching} (${String(err)})`, {});
      }
    }
  }

  /** A listener started watching `task`: read the watches again, and tell it this worker heard. */
  async watchedNow(task: string): Promise<void> {
    await this.refresh();
    const routes = this.#watched.get(task);
    const queue = this.#queueOf(task);
    if (routes && queue) await this.#store().publish(task, encodeAck(this.#workerId), routes, queue);
  }

  ok(env: CallEnvelope, output: unknown): void {
    if (this.#watched.size === 0) return;
    const routes = this.#watched.get(env.task);
    if (routes) this.#send(env, routes, () => encodeOkEvent(env.id, env.task, output, this.#serializer));
  }

  failed(env: CallEnvelope, error: TaskwireError<string, unknown>): void {
    if (this.#watched.size === 0) return;
    const routes = this.#watched.get(env.task);
    if (routes) this.#send(env, routes, () => encodeFailedEvent(env.id, env.task, error, this.#serializer));
  }

  /** Best effort: an event lost to a broken connection is not worth failing a call for. */
  #send(env: CallEnvelope, routes: EventRoutes, encode: () => string): void {
    const queue = this.#queueOf(env.task);
    if (!queue) return;
    let message: string;
    try {
      message = encode();
    } catch (err) {
      this.#logger.warn(`taskwire: event of ${env.task} cannot be encoded`, { callId: env.id, error: String(err) });
      return;
    }
    this.#store()
      .publish(env.task, message, routes, queue)
      .catch(() => undefined);
  }
}
