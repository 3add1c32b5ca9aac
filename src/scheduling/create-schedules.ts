import { ERROR_CODES, TaskwireError } from '../errors.js';
import { toLogger } from '../logger.js';
import { routesOf } from '../contract/route.js';
import type { RouterShape } from '../contract/router.js';
import { bytesOver } from '../wire/envelope.js';
import { queueKeys, type QueueKeys } from '../wire/keys.js';
import { DEFAULTS } from '../wire/protocol.js';
import { decodeRecord, encodeRecord, newRevision, tickEnvelope, type ScheduleRecord } from '../wire/schedule-record.js';
import { nextTickAfter, timingKey } from '../wire/schedule-timing.js';
import { superjsonSerializer } from '../wire/serializer.js';
import { closeConnection, openConnection } from '../transport/connection.js';
import { ConnectionHealth } from '../transport/connection-health.js';
import { checkRedisSource } from '../transport/redis-source.js';
import { ScheduleStore, type StoredSchedule } from '../transport/schedule-store.js';
import { checkSpec, invalidSchedule } from './schedule-spec.js';
import type { InputAt, Schedule, ScheduleOf, ScheduleOptions, Schedules, SchedulesOptions } from './types.js';

/**
 * Recurring calls of a contract's tasks: `createSchedules(contract, { redis }).upsert('reports.daily',
 * { id: 'daily', input, cron: '0 3 * * *', tz: 'Europe/Berlin' })`. A schedule lives with its
 * task's queue (a record and its next tick, docs/PROTOCOL.md *Schedules*); the workers of that
 * queue fire it (worker/schedule-ticker.ts). See docs/SCHEDULING.md, *Schedules*.
 */
export function createSchedules<R extends RouterShape>(contract: R, options: SchedulesOptions): Schedules<R> {
  checkRedisSource(options.redis, 'createSchedules()');
  const prefix = options.prefix ?? DEFAULTS.prefix;
  const serializer = options.serializer ?? superjsonSerializer;
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULTS.maxPayloadBytes;
  const routes = routesOf(contract);
  const queues = new Map<string, QueueKeys>();
  // A partitioned queue keeps its schedules on its partition 0, which fires them (docs/PARTITIONS.md).
  for (const r of routes.values()) if (!queues.has(r.queue)) queues.set(r.queue, queueKeys(prefix, r.queue, r.partitions === undefined ? undefined : 0));
  const health = new ConnectionHealth('schedules', toLogger(options.logger));
  const redis = health.watch(openConnection(options.redis, { name: 'tw-schedules' }), 'commands');
  const store = new ScheduleStore(redis, options.shardedPubSub ?? false);
  let closed: Promise<void> | undefined;

  /** Runs a Redis operation: CLOSED after close(), CONNECTION (address and cause) when Redis fails. */
  async function redisOp<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (closed) throw new TaskwireError(ERROR_CODES.CLOSED, `schedules are closed (${what})`);
    try {
      return await op();
    } catch (err) {
      // Ours (a schedule refused, a record unreadable) as they are; Redis' failures as CONNECTION.
      if (err instanceof TaskwireError) throw err;
      throw health.connectionError(`could not ${what}`, err);
    }
  }

  function toSchedule(queue: string, id: string, stored: StoredSchedule): ScheduleOf<R> {
    const decoded = decodeRecord(stored.raw);
    if (!decoded.ok) throw new TaskwireError(ERROR_CODES.PROTOCOL, `schedule "${id}" on queue "${queue}" cannot be read: ${decoded.reason}`, { data: { queue, id } });
    const r = decoded.record;
    const schedule: Schedule = {
      id: r.id,
      task: r.task,
      queue,
      input: serializer.deserialize(r.input),
      ...(r.cron === undefined ? {} : { cron: r.cron, tz: r.tz }),
      ...(r.everyMs === undefined ? {} : { everyMs: r.everyMs }),
      catchUp: r.catchUp,
      timeoutMs: r.timeoutMs,
      ...(r.priority === undefined ? {} : { priority: r.priority }),
      ...(r.group === undefined ? {} : { group: r.group }),
      ...(r.headers === undefined ? {} : { headers: r.headers }),
      nextRunAt: stored.tick === undefined || !Number.isFinite(stored.tick) ? undefined : new Date(stored.tick),
      createdAt: new Date(r.created),
      updatedAt: new Date(r.updated),
    };
    // The record was written for this task with an input its schema accepted.
    return schedule as ScheduleOf<R>;
  }

  const schedules: Schedules<R> = {
    async upsert(path, spec, upsertOptions?: ScheduleOptions) {
      if (closed) throw new TaskwireError(ERROR_CODES.CLOSED, 'schedules are closed');
      const route = routes.get(path);
      if (!route) throw invalidSchedule(String(path), `unknown task "${String(path)}"`);
      const s = await checkSpec(route, spec, upsertOptions, Date.now());
      let input: unknown;
      try {
        input = serializer.serialize(s.input);
      } catch (err) {
        throw invalidSchedule(path, `input cannot be serialized: ${String(err)}`, { id: s.id });
      }
      // A call envelope carries its input, or it is malformed: a custom serializer's undefined would be.
      if (input === undefined) throw invalidSchedule(path, 'input serializes to undefined', { id: s.id });
      const k = queues.get(route.queue) ?? queueKeys(prefix, route.queue);
      const record: ScheduleRecord = {
        v: 1,
        rev: newRevision(),
        timing: timingKey(s.timing),
        created: 0,
        updated: 0,
        id: s.id,
        task: path,
        ...('cron' in s.timing ? { cron: s.timing.cron, tz: s.timing.tz } : { everyMs: s.timing.everyMs }),
        catchUp: s.catchUp,
        input,
        timeoutMs: s.timeoutMs,
        ...(s.priority === undefined ? {} : { priority: s.priority }),
        ...(s.group === undefined ? {} : { group: s.group }),
        ...(s.headers === undefined ? {} : { headers: s.headers }),
        fp: route.fingerprint,
      };
      // Every call it fires has this size: refused now rather than at each tick.
      const bytes = bytesOver(tickEnvelope(record, 0, 0), maxPayloadBytes);
      if (bytes !== undefined) {
        throw new TaskwireError(ERROR_CODES.PAYLOAD_TOO_LARGE, `schedule of ${path}: its calls are ${bytes} bytes, over the ${maxPayloadBytes}-byte limit`, {
          data: { task: path, id: s.id, bytes, limit: maxPayloadBytes },
        });
      }
      return redisOp(`upsert schedule "${s.id}"`, async () => {
        // An id is one schedule over the contract's queues; moving it to another queue cannot
        // be one atomic step (another slot), and half a move would lose it or fire it twice.
        for (const [queue, other] of queues) {
          if (queue !== route.queue && (await store.exists(other, s.id))) {
            throw invalidSchedule(path, `id "${s.id}" is a schedule on queue "${queue}" (another task's); remove it first, or use another id`, { id: s.id, queue });
          }
        }
        const now = await store.now();
        record.created = record.updated = now;
        // Checked above against this process's clock; Redis' may be a little ahead.
        const first = nextTickAfter(s.timing, now);
        if (first === undefined) throw invalidSchedule(path, 'its timing has no tick after now', { id: s.id });
        const raw = encodeRecord(record);
        const done = await store.upsert(k, s.id, raw, first);
        record.created = done.createdAt;
        // The record is for task `path`, with an input its schema accepted.
        return toSchedule(route.queue, s.id, { raw: encodeRecord(record), tick: done.tick }) as Schedule as Schedule<typeof path, InputAt<R, typeof path>>;
      });
    },

    async get(id) {
      return redisOp(`read schedule "${id}"`, async () => {
        const found = await Promise.all([...queues].map(async ([queue, k]) => ({ queue, stored: await store.get(k, id) })));
        const hit = found.find((f) => f.stored !== undefined);
        return hit?.stored ? toSchedule(hit.queue, id, hit.stored) : undefined;
      });
    },

    async list() {
      return redisOp('list schedules', async () => {
        const all = await Promise.all([...queues].map(async ([queue, k]) => (await store.list(k)).map((s) => toSchedule(queue, s.id, s))));
        return all.flat().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      });
    },

    async remove(id) {
      return redisOp(`remove schedule "${id}"`, async () => (await Promise.all([...queues.values()].map((k) => store.remove(k, id)))).some(Boolean));
    },

    close() {
      closed ??= (async () => {
        health.stop();
        await closeConnection(redis);
      })();
      return closed;
    },

    [Symbol.asyncDispose]() {
      return schedules.close();
    },
  };
  return schedules;
}
