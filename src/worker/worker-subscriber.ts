import { ERROR_CODES, TaskwireError } from '../errors.js';
import type { Logger } from '../logger.js';
import { redisErrorCode, type Connection } from '../transport/connection.js';
import { eventKeys, type QueueKeys } from '../wire/keys.js';
import type { Running } from './call-handler.js';
import type { EventPublisher } from './event-publisher.js';
import type { ScheduleTicker } from './schedule-ticker.js';

export interface WorkerSubscriberOptions {
  queues: readonly QueueKeys[];
  prefix: string;
  /** The calls running now: a cancellation aborts the one it names. */
  running: ReadonlySet<Running>;
  ticker: Pick<ScheduleTicker, 'poke'>;
  taskEvents: Pick<EventPublisher, 'watchedNow'>;
  logger: Logger;
}

/**
 * What the worker hears on its subscriber connection: cancellations of calls already running
 * (queued ones never reach it), schedules upserted, and listeners that start watching a task's
 * completions. The handlers are attached at once; subscribe() asks Redis for the channels.
 */
export function workerSubscriber(sub: Connection, o: WorkerSubscriberOptions): { subscribe(): Promise<void> } {
  const scheduleChannels = new Set(o.queues.map((k) => k.scheduleChannel));
  const watchChannel = eventKeys(o.prefix).watch;
  const shardedWatch = new Set(o.queues.map((k) => k.eventWatch));
  const onMessage = (channel: string, callId: string) => {
    // A schedule was upserted: its first tick may come before the next check.
    if (scheduleChannels.has(channel)) return o.ticker.poke();
    // Someone started watching a task's completions (callId is the task's path here).
    if (channel === watchChannel || shardedWatch.has(channel)) {
      o.taskEvents.watchedNow(callId).catch(() => undefined);
      return;
    }
    // A scan of at most `concurrency` entries, on a rare event, instead of a second map per call.
    for (const r of o.running.values()) {
      if (r.ctx.callId === callId) r.ctx.abortWith(new TaskwireError(ERROR_CODES.CANCELLED, 'the caller cancelled this call'));
    }
  };
  sub.on('message', onMessage);
  sub.on('smessage', onMessage);
  return {
    async subscribe() {
      const queueChannels = [...o.queues.map((k) => k.cancelChannel), ...scheduleChannels];
      // Both kinds: clients with shardedPubSub announce on the queue's shard (SPUBLISH), others
      // to every node (PUBLISH). One SSUBSCRIBE per channel: on a Cluster each may live elsewhere.
      await Promise.all([sub.subscribe(...queueChannels), ...queueChannels.map((c) => sub.ssubscribe(c))]);
      // Apart: a user whose ACL leaves out the events channels still runs calls (events off, said once).
      Promise.all([sub.subscribe(watchChannel), ...[...shardedWatch].map((c) => sub.ssubscribe(c))]).catch((err: unknown) => {
        if (redisErrorCode(err) === 'NOPERM') o.logger.warn(`taskwire: completion events are off for this worker: ${String(err)}`, {});
      });
    },
  };
}
