import { randomUUID } from 'node:crypto';
import { ERROR_CODES, TaskwireError } from '../errors.js';
import { consoleLogger } from '../logger.js';
import { fingerprintTask } from '../contract/fingerprint.js';
import { listTasks, type RouterShape } from '../contract/router.js';
import { DEFAULT_QUEUE } from '../contract/route.js';
import { queueKeys, replyChannelPrefix } from '../wire/keys.js';
import { DEFAULTS as PROTOCOL_DEFAULTS } from '../wire/protocol.js';
import { superjsonSerializer } from '../wire/serializer.js';
import { closeConnection, openConnection, type Connection } from '../transport/connection.js';
import { PayloadStore } from '../transport/payload-store.js';
import { QueueStore } from '../transport/queue-store.js';
import { WorkerRegistry } from '../transport/worker-registry.js';
import { callHandler, type Running } from './call-handler.js';
import { Fetcher } from './fetcher.js';
import { LeaseKeeper } from './lease.js';
import { withMiddleware } from './middleware.js';
import { Replier } from './replier.js';
import type { TaskEntry } from './runner.js';
import { settlements } from './settlements.js';
import { Settler } from './settler.js';
import { Slots } from './slots.js';
import { TakeBudget } from './take-budget.js';
import type { Handlers, Worker, WorkerOptions } from './types.js';
import { WorkerEvents } from './worker-events.js';
import { WorkerInfoWriter } from './worker-info-writer.js';

const DEFAULTS = {
  prefix: PROTOCOL_DEFAULTS.prefix,
  workerTtlMs: PROTOCOL_DEFAULTS.workerTtlMs,
  maxPayloadBytes: PROTOCOL_DEFAULTS.maxPayloadBytes,
  replyTtlMs: PROTOCOL_DEFAULTS.replyTtlMs,
  concurrency: 16,
  leaseMs: 30_000,
  maintenanceIntervalMs: 1_000,
  maxDeliveries: 5,
  deadlineGraceMs: 5_000,
  deadLetterMaxLen: 10_000,
  drainTimeoutMs: 10_000,
} as const;

function handlerAt(handlers: unknown, path: string): TaskEntry['handler'] | undefined {
  let node: unknown = handlers;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'function' ? (node as TaskEntry['handler']) : undefined;
}

/**
 * A worker serving a contract: takes calls from the contract's queues, runs the handlers with
 * `concurrency` slots, and replies. See docs/ARCHITECTURE.md for the path of one call.
 */
export function createWorker<R extends RouterShape>(contract: R, handlers: Handlers<R>, options: WorkerOptions): Worker {
  const o = { ...DEFAULTS, ...options };
  const logger = options.logger ?? consoleLogger;
  const serializer = options.serializer ?? superjsonSerializer;
  const id = randomUUID();
  const events = new WorkerEvents(options.observers, logger);

  const entries = new Map<string, TaskEntry>();
  for (const { path, task } of listTasks(contract)) {
    const handler = handlerAt(handlers, path);
    // The types demand every handler; this guards plain-JS callers and casts.
    if (!handler) throw new TypeError(`createWorker(): no handler for task "${path}"`);
    entries.set(path, { path, task, handler: withMiddleware(handler, options.middleware), fingerprint: fingerprintTask(task) });
  }
  const queueNames = options.queues ?? [...new Set([...entries.values()].map((e) => e.task.queue ?? DEFAULT_QUEUE))];
  const queues = queueNames.map((q) => queueKeys(o.prefix, q));

  let commands: Connection | undefined;
  let subscriber: Connection | undefined;
  const blockings: Connection[] = [];
  let fetchers: Fetcher[] = [];
  let replier: Replier | undefined;
  let maintenance: NodeJS.Timeout | undefined;
  let state: 'idle' | 'running' | 'closing' | 'closed' = 'idle';
  const slots = new Slots(o.concurrency);
  const budget = new TakeBudget();
  const build = settlements(serializer, options.storeLargeResults ?? true);
  const running = new Map<string, Running>();
  const handling = new Set<Promise<unknown>>();
  // Calls delivered this often without being settled may be what killed their workers: each
  // worker runs one such suspect at a time (take-quarantine.lua), so co-tenants of a poison call are
  // not charged its crashes. Below maxDeliveries, so an innocent suspect still gets its turn.
  const suspectFrom = Math.max(1, Math.min(2, o.maxDeliveries - 1));
  let suspect: Promise<unknown> | undefined;
  const leases = new LeaseKeeper({
    held: running,
    leaseMs: o.leaseMs,
    graceMs: o.deadlineGraceMs,
    extend: (keys, tokens) => store().extend(keys, o.leaseMs, tokens),
    onLost: (token) => running.get(token)?.ctx.abortWith(new TaskwireError(ERROR_CODES.CLOSED, 'lease lost: another worker owns this call now')),
    onError: (err) => logger.warn('taskwire: lease renewal failed', { error: String(err) }),
  });

  /** The worker's stores on its command connection, made by start(). */
  let stores: { queues: QueueStore; payloads: PayloadStore; registry: WorkerRegistry } | undefined;
  function started(): NonNullable<typeof stores> {
    if (!stores) throw new Error('worker is not started');
    return stores;
  }
  const store = () => started().queues;

  const { handle } = callHandler({
    entries,
    events,
    build,
    serializer,
    logger,
    running,
    budget,
    maxDeliveries: o.maxDeliveries,
    maxPayloadBytes: o.maxPayloadBytes,
    payloads: () => started().payloads,
    settler: new Settler({
      payloads: () => started().payloads,
      replier: () => {
        if (!replier) throw new Error('worker is not started');
        return replier;
      },
      logger,
      leaseMs: o.leaseMs,
      replyTtlMs: o.replyTtlMs,
      closed: () => state === 'closed',
      events,
    }),
  });

  const tasksByQueue = new Map<string, Array<{ path: string; fingerprint: string }>>();
  for (const e of entries.values()) {
    const q = e.task.queue ?? DEFAULT_QUEUE;
    tasksByQueue.set(q, [...(tasksByQueue.get(q) ?? []), { path: e.path, fingerprint: e.fingerprint }]);
  }
  // Who this worker is, for operators (`taskwire inspect`, the dashboard): beside the heartbeat.
  const info = new WorkerInfoWriter({
    id,
    queues,
    concurrency: o.concurrency,
    tasks: tasksByQueue,
    ttlMs: o.workerTtlMs,
    tallies: events.byQueue,
    running: () => running.size,
    registry: () => started().registry,
    logger,
  });

  async function maintain(): Promise<void> {
    const s = store();
    const alive = state === 'running';
    await Promise.all([
      ...queues.map((k) => s.maintain(k, { workerId: id, workerTtlMs: o.workerTtlMs, limit: 1000, alive })),
      alive ? info.publish() : info.remove(),
    ]);
  }

  const worker: Worker = {
    id,
    stats: events.stats,
    get running() {
      return running.size;
    },
    async start() {
      if (state !== 'idle') throw new Error(`worker cannot start: it is ${state}`);
      state = 'running';
      commands = openConnection(options.redis, { name: `tw-worker-${id}` });
      commands.on('error', () => undefined);
      stores = { queues: new QueueStore(commands), payloads: new PayloadStore(commands), registry: new WorkerRegistry(commands) };
      const s = stores.queues;
      replier = new Replier(s, {
        inboxTtlMs: PROTOCOL_DEFAULTS.inboxTtlMs,
        deadMaxLen: o.deadLetterMaxLen,
        replyTtlMs: o.replyTtlMs,
        channelPrefix: replyChannelPrefix(o.prefix),
      });
      // Cancellations of calls already running arrive by pub/sub; queued ones never reach us.
      subscriber = openConnection(options.redis, { name: `tw-worker-${id}-cancel`, blocking: true });
      subscriber.on('error', () => undefined);
      subscriber.on('message', (_channel: string, callId: string) => {
        // A scan of at most `concurrency` entries, on a rare event, instead of a second map per call.
        for (const r of running.values()) {
          if (r.ctx.callId === callId) r.ctx.abortWith(new TaskwireError(ERROR_CODES.CANCELLED, 'the caller cancelled this call'));
        }
      });
      await subscriber.subscribe(...queues.map((k) => k.cancelChannel));
      // Announce ourselves before taking anything, so clients stop getting NO_WORKERS at once.
      await maintain();
      maintenance = setInterval(() => {
        maintain().catch((err: unknown) => logger.warn('taskwire: maintenance failed', { error: String(err) }));
      }, o.maintenanceIntervalMs);
      leases.start();
      fetchers = queues.map((keys) => {
        const blocking = openConnection(options.redis, { name: `tw-worker-${id}-${keys.queue}`, blocking: true });
        blocking.on('error', () => undefined);
        blockings.push(blocking);
        return new Fetcher({
          keys,
          store: s,
          blocking: new QueueStore(blocking),
          slots,
          parkedTake: queues.length === 1,
          budget: () => budget.limit(),
          leaseMs: o.leaseMs,
          maxPayloadBytes: o.maxPayloadBytes,
          deadLetterMaxLen: o.deadLetterMaxLen,
          suspects: () => ({ from: suspectFrom, mayTake: suspect === undefined }),
          suspectDone: async () => {
            await suspect;
          },
          onCall: (call) => {
            let freed = false;
            const free = () => {
              if (freed) return;
              freed = true;
              slots.release();
            };
            const p: Promise<unknown> = handle(keys, call, free)
              .catch((err: unknown) => logger.error('taskwire: call handling failed', { error: String(err) }))
              .finally(() => {
                handling.delete(p);
                if (suspect === p) suspect = undefined;
                free();
              });
            handling.add(p);
            if (call.deliveries - 1 >= suspectFrom) suspect = p;
          },
          onError: (err) => logger.warn('taskwire: taking calls failed; retrying', { queue: keys.queue, error: String(err) }),
        });
      });
      for (const f of fetchers) f.start();
    },
    async close(closeOptions = {}) {
      if (state === 'closed' || state === 'closing' || state === 'idle') {
        state = 'closed';
        return;
      }
      state = 'closing';
      // Stop taking: a fetcher may be parked for up to a second; cutting its connection ends it now.
      for (const b of blockings) b.disconnect(false);
      slots.wakeAll();
      await Promise.all(fetchers.map((f) => f.stop()));
      const drainMs = closeOptions.drainTimeoutMs ?? o.drainTimeoutMs;
      await Promise.race([Promise.all([...handling]), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
      // Unfinished calls go back to the queue for another worker; their late results are fenced off.
      const left = [...running.entries()];
      for (const [, r] of left) r.ctx.abortWith(new TaskwireError(ERROR_CODES.CLOSED, 'worker closed before the call finished'));
      const s = store();
      for (const keys of queues) {
        const tokens = left.filter(([, r]) => r.keys === keys).map(([t]) => t);
        try {
          if (tokens.length) await s.release(keys, tokens);
          await (replier as Replier).drain();
        } catch (err) {
          logger.warn('taskwire: could not hand calls back on close; the reaper will', { error: String(err) });
        }
      }
      leases.stop();
      clearInterval(maintenance);
      state = 'closed';
      await maintain().catch(() => undefined);
      await Promise.all([commands as Connection, ...blockings, ...(subscriber ? [subscriber] : [])].map((x) => closeConnection(x)));
    },
    closeOnSignals(signalOptions = {}) {
      const signals = signalOptions.signals ?? ['SIGTERM', 'SIGINT'];
      let closing = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (closing) {
          if (signalOptions.exit !== false) process.exit(1);
          return;
        }
        closing = true;
        logger.warn(`taskwire: ${signal} received, closing worker`, { worker: id });
        const drain = signalOptions.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: signalOptions.drainTimeoutMs };
        worker.close(drain).then(
          () => signalOptions.exit !== false && process.exit(0),
          (err: unknown) => {
            logger.error('taskwire: close on signal failed', { error: String(err) });
            if (signalOptions.exit !== false) process.exit(1);
          },
        );
      };
      for (const s of signals) process.on(s, onSignal);
    },
  };
  return worker;
}
