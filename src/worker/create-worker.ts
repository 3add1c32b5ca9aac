import { randomUUID } from 'node:crypto';
import { ERROR_CODES, TaskwireError } from '../errors.js';
import { toLogger } from '../logger.js';
import type { RouterShape } from '../contract/router.js';
import { DEFAULT_QUEUE, routesOf } from '../contract/route.js';
import { queueKeys, replyChannelPrefix, type QueueKeys } from '../wire/keys.js';
import { DEFAULTS as PROTOCOL_DEFAULTS, UNRUN_REPLY_TAILS } from '../wire/protocol.js';
import { superjsonSerializer } from '../wire/serializer.js';
import { closeConnection, openConnection, type Connection } from '../transport/connection.js';
import { ConnectionHealth } from '../transport/connection-health.js';
import { SAFE_EVICTION_POLICY, unsafeEvictionPolicy } from '../transport/eviction-policy.js';
import { checkRedisSource } from '../transport/redis-source.js';
import { QueueStore } from '../transport/queue-store.js';
import { checkDurability } from '../transport/durability.js';
import { checkWorkerOptions } from './check-worker-options.js';
import { FollowUps } from './follow-ups.js';
import { Signer } from '../wire/signing.js';
import { DeliveryClaims } from './delivery-claims.js';
import { EventPublisher } from './event-publisher.js';
import { callHandler, type Running } from './call-handler.js';
import { ChildClients } from './child-calls.js';
import { Intake } from './intake.js';
import { TakeBudget } from './take-budget.js';
import { settledWithin } from './settled-within.js';
import { taskEntries } from './task-entries.js';
import { WORKER_DEFAULTS } from './worker-defaults.js';
import { LeaseKeeper } from './lease.js';
import { queueLimits } from './limits.js';
import { Replier } from './replier.js';
import { ScheduleTicker } from './schedule-ticker.js';
import { settlements } from './settlements.js';
import { Settler } from './settler.js';
import type { Handlers, Worker, WorkerOptions } from './types.js';
import { WorkerEvents } from './worker-events.js';
import { closeOnSignals } from './close-on-signals.js';
import { handBack } from './hand-back.js';
import { Maintenance } from './maintenance.js';
import { servedQueues } from './served-queues.js';
import { taskRecords } from './task-records.js';
import { workerStores, type WorkerStores } from './worker-stores.js';
import { workerSubscriber } from './worker-subscriber.js';

/**
 * How long close() waits for Redis to take back unfinished calls and the worker's goodbye. Past
 * it Redis is taken to be gone: the reaper returns the calls when their leases expire.
 */
const HAND_BACK_MS = 2_000;

/**
 * A worker serving a contract: takes calls from the contract's queues, runs the handlers with
 * `concurrency` slots, and replies. See docs/ARCHITECTURE.md for the path of one call.
 */
export function createWorker<R extends RouterShape>(contract: R, handlers: Handlers<R>, options: WorkerOptions): Worker {
  // A mistake in where Redis is (an unset REDIS_URL) is reported here, not at start().
  checkRedisSource(options.redis, 'createWorker()');
  const durability = checkDurability(options.durability, 'createWorker()');
  checkWorkerOptions(options);
  const o = { ...WORKER_DEFAULTS, ...options };
  const logger = toLogger(options.logger);
  const serializer = options.serializer ?? superjsonSerializer;
  const id = randomUUID();
  const events = new WorkerEvents(options.observers, logger);

  const entries = taskEntries(contract, handlers, options.middleware);
  const { names: queueNames, partitioned, queues } = servedQueues(contract, entries, options.queues, o.prefix);

  let commands: Connection | undefined;
  let subscriber: Connection | undefined;
  const blockings: Connection[] = [];
  let replier: Replier | undefined;
  /**
   * idle → starting → running → closing → closed. A start that fails goes back to idle (having
   * closed what it opened), so start() may be tried again; close() during a start interrupts it.
   */
  let state: 'idle' | 'starting' | 'running' | 'closing' | 'closed' = 'idle';
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  /** Fired by close() to cut a pending start short (its wait for Redis may take connectTimeoutMs). */
  let interruptStart = new AbortController();
  /** Makes a Redis that is down or misconfigured heard (logged once, named in errors). */
  let health = new ConnectionHealth(`worker ${id}`, logger);
  const limits = new Map(queues.map((k) => [k.queue, queueLimits(entries.values(), k.logical, options.groups)]));
  const limitsOf = (queue: string) => limits.get(queue) ?? queueLimits([], queue, undefined);
  const budget = new TakeBudget();
  const signer = options.signing ? new Signer(options.signing, 'createWorker()') : undefined;
  const sign = signer ? (raw: string) => signer.signCall(raw) : undefined;
  const build = settlements(serializer, options.storeLargeResults ?? true, signer);
  const running = new Set<Running>();
  const leases = new LeaseKeeper({
    held: running,
    leaseMs: o.leaseMs,
    graceMs: o.deadlineGraceMs,
    extend: (keys, batches) => store().extend(keys, o.leaseMs, batches),
    onLost: (keys, batch) => {
      replier?.book.forget(keys, batch);
      for (const r of running) {
        if (r.keys === keys && r.batch === batch) r.ctx.abortWith(new TaskwireError(ERROR_CODES.CLOSED, 'lease lost: another worker owns this call now'));
      }
    },
    onError: (err) => {
      if (state === 'running') logger.warn('taskwire: lease renewal failed', { error: String(err) });
    },
  });

  /** The worker's stores on its command connection, made by start(). */
  let stores: WorkerStores | undefined;
  function started(): WorkerStores {
    if (!stores) throw new Error('worker is not started');
    return stores;
  }
  const store = () => started().queues;
  // Every worker fires the due ticks of its queues' schedules; one of them wins each tick.
  const ticker = new ScheduleTicker({
    // A partitioned queue's schedules live on its partition 0 (scheduling/create-schedules.ts).
    queues: queues.filter((k) => k.partition === undefined || k.partition === 0),
    store: () => started().schedules,
    intervalMs: o.maintenanceIntervalMs,
    agingMs: o.priorityAgingMs,
    logger,
    live: () => state === 'running',
    ...(sign ? { sign } : {}),
  });

  // Handlers' child calls (ctx.client): a client of the worker's own, opened on first use.
  const children = new ChildClients(routesOf(contract), {
    redis: options.redis,
    prefix: o.prefix,
    // The worker's view of liveness: a longer workerTtlMs must not make children fail NO_WORKERS.
    workerTtlMs: o.workerTtlMs,
    ...(options.signing ? { signing: options.signing } : {}),
    serializer,
    logger,
    maxPayloadBytes: o.maxPayloadBytes,
  });
  // Follow-ups go to their own queues, served or not by this worker.
  const followKeys = new Map<string, QueueKeys>();
  const followUps = new FollowUps({
    queues: store,
    keysOf: (queue) => {
      let k = followKeys.get(queue);
      if (!k) followKeys.set(queue, (k = queueKeys(o.prefix, queue)));
      return k;
    },
    serializer,
    logger,
    maxPayloadBytes: o.maxPayloadBytes,
    ...(sign ? { sign } : {}),
  });
  // A task's sharded event channel lives with its queue (partition 0 of a partitioned one, as its schedules).
  const queueOfTask = new Map([...entries].map(([path, e]) => [path, queues.find((k) => k.logical === (e.task.queue ?? DEFAULT_QUEUE) && (k.partition ?? 0) === 0)]));
  const taskEvents = new EventPublisher(() => started().events, serializer, id, logger, (task) => queueOfTask.get(task));
  const { handle } = callHandler({
    signer,
    acceptUnsigned: options.signing?.acceptUnsigned === true,
    claims: new DeliveryClaims(store),
    taskEvents,
    children,
    followUps,
    channelPrefix: replyChannelPrefix(o.prefix),
    progressIntervalMs: PROTOCOL_DEFAULTS.progressIntervalMs,
    entries,
    events,
    build,
    serializer,
    logger,
    running,
    budget,
    maxDeliveries: o.maxDeliveries,
    maxPayloadBytes: o.maxPayloadBytes,
    slotScopes: (queue, raw) => limitsOf(queue).slotScopes(raw),
    payloads: () => started().payloads,
    runs: () => started().runs,
    resultTtlMs: PROTOCOL_DEFAULTS.resultTtlMs,
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
  const intake = new Intake({
    workerId: id,
    concurrency: o.concurrency,
    queues,
    maxDeliveries: o.maxDeliveries,
    leaseMs: o.leaseMs,
    agingMs: o.priorityAgingMs,
    maxPayloadBytes: o.maxPayloadBytes,
    deadLetterMaxLen: o.deadLetterMaxLen,
    cancelledReply: signer?.signReplyTail(UNRUN_REPLY_TAILS.cancelledUnrun),
    limits: (queue) => limitsOf(queue).take,
    budget,
    // The book learns each batch's size as its calls are handed out (synchronously, before any settles).
    handle: (keys, call, free) => {
      replier?.book.took(keys, call.batch);
      return handle(keys, call, free);
    },
    logger,
    running: () => state === 'running',
  });

  const maintenance = new Maintenance({
    id,
    queues,
    concurrency: o.concurrency,
    workerTtlMs: o.workerTtlMs,
    agingMs: o.priorityAgingMs,
    intervalMs: o.maintenanceIntervalMs,
    records: taskRecords(entries.values(), partitioned),
    tallies: events.byQueue,
    running,
    store,
    registry: () => started().registry,
    taskEvents,
    live: () => state === 'running',
    closing: () => interruptStart.signal.aborted || state === 'closing' || state === 'closed',
    logger,
  });

  /** Opens one of the worker's connections, watched for failures. */
  function connect(name: string, role: string, blocking = false, subscriber = false): Connection {
    return health.watch(openConnection(options.redis, { name, blocking, subscriber }), role);
  }

  /**
   * Opens the worker's connections and waits, within connectTimeoutMs, until Redis answers:
   * subscribed to cancellations, announced (clients stop getting NO_WORKERS at once), the
   * eviction policy read. Only then does the worker take calls. Fails with CONNECTION (the
   * address and the cause in the message), having closed everything it opened.
   */
  async function startUp(): Promise<void> {
    state = 'starting';
    const cmd = (commands = connect(`tw-worker-${id}`, 'commands'));
    stores = workerStores(cmd, durability, o.leaseMs, o.prefix);
    const s = stores.queues;
    replier = new Replier(s, {
      inboxTtlMs: PROTOCOL_DEFAULTS.inboxTtlMs,
      deadMaxLen: o.deadLetterMaxLen,
      replyTtlMs: o.replyTtlMs,
      channelPrefix: replyChannelPrefix(o.prefix),
    });
    // Cancellations of calls already running arrive by pub/sub; queued ones never reach us.
    subscriber = connect(`tw-worker-${id}-cancel`, 'cancellations', true, true);
    const listening = workerSubscriber(subscriber, { queues, prefix: o.prefix, running, ticker, taskEvents, logger });
    const reachable = async () => {
      await listening.subscribe();
      // Closed while subscribing: announcing now would outlive close()'s goodbye.
      if (interruptStart.signal.aborted) return undefined;
      await Promise.all([...partitioned].filter(([q]) => queueNames.includes(q)).map(([q, n]) => started().registry.markPartitions(o.prefix, q, n)));
      // Announce ourselves before taking anything, so clients stop getting NO_WORKERS at once.
      await maintenance.run(true);
      return unsafeEvictionPolicy(cmd);
    };
    let policy: string | undefined;
    try {
      policy = await health.within(reachable(), o.connectTimeoutMs, 'worker could not start', interruptStart.signal);
    } catch (err) {
      const interrupted = interruptStart.signal.aborted;
      await shutDown();
      state = interrupted ? 'closed' : 'idle';
      // Closed meanwhile: start() resolves, as close() asked for nothing to run.
      if (interrupted) return;
      interruptStart = new AbortController();
      health = new ConnectionHealth(`worker ${id}`, logger);
      throw err;
    }
    if (policy !== undefined) {
      const risk = 'when memory runs short it deletes keys, and with them queued calls, leases and results, without an error to anyone';
      const fix = `Set maxmemory-policy ${SAFE_EVICTION_POLICY} (Redis then refuses new calls with OOM instead)`;
      logger.warn(`taskwire: Redis at ${health.address} has maxmemory-policy ${policy}: ${risk}. ${fix}.`, { redis: health.address, policy });
    }
    maintenance.start();
    leases.start();
    state = 'running';
    intake.start(s, (keys) => {
      const blocking = connect(`tw-worker-${id}-${keys.queue}`, `taking from ${keys.queue}`, true);
      blockings.push(blocking);
      return new QueueStore(blocking);
    });
    ticker.start();
  }

  /**
   * Ends what a start opened: the timers, the worker's registration (a goodbye, if Redis is
   * there to take it) and every connection. Nothing of the worker runs or logs after it.
   */
  async function shutDown(): Promise<void> {
    leases.stop();
    maintenance.stop();
    // A fire in flight lands whole or not at all (one script): waiting for it only keeps its log quiet.
    await settledWithin(ticker.stop(), HAND_BACK_MS);
    for (const b of blockings) b.disconnect(false);
    if (commands?.status === 'ready') await settledWithin(maintenance.run(false), HAND_BACK_MS);
    health.stop();
    const conns = [commands, subscriber, ...blockings].filter((c): c is Connection => c !== undefined);
    await Promise.all(conns.map((c) => closeConnection(c)));
    // Their connections are closed, and what waited on them rejected: the fetchers end now.
    // Bounded all the same: a Cluster that was reconnecting may hold its commands regardless.
    await settledWithin(intake.stop(), HAND_BACK_MS);
    commands = subscriber = undefined;
    blockings.length = 0;
    intake.reset();
  }

  async function closeDown(closeOptions: { drainTimeoutMs?: number }): Promise<void> {
    if (state === 'starting') {
      interruptStart.abort(new TaskwireError(ERROR_CODES.CLOSED, 'worker closed while starting'));
      await starting?.catch(() => undefined);
    }
    if (state !== 'running') {
      // Never started, or a start that failed or was interrupted, which closed what it opened.
      state = 'closed';
      return;
    }
    state = 'closing';
    // Stop taking: a fetcher may be parked for up to a second; cutting its connection ends it now.
    for (const b of blockings) b.disconnect(false);
    const reachable = () => commands?.status === 'ready';
    // A take on the command connection waits while Redis is down: shutDown() ends it then.
    if (reachable()) await settledWithin(intake.stop(), HAND_BACK_MS);
    const drainMs = closeOptions.drainTimeoutMs ?? o.drainTimeoutMs;
    await settledWithin(Promise.all([...intake.handling]), drainMs);
    // Unfinished calls go back to the queue for another worker; their late results are fenced off.
    const left = [...running];
    for (const r of left) r.ctx.abortWith(new TaskwireError(ERROR_CODES.CLOSED, 'worker closed before the call finished'));
    await handBack(left, {
      queues,
      store: store(),
      replier,
      agingMs: o.priorityAgingMs,
      withinMs: HAND_BACK_MS,
      reachable,
      closing: () => state === 'closing',
      redis: () => health.address,
      logger,
    });
    state = 'closed';
    await shutDown();
    // Child calls still waiting reject with CLOSED; the children go on, for the parent's next run.
    await children.close();
  }

  const worker: Worker = {
    id,
    stats: events.stats,
    get running() {
      return running.size;
    },
    start() {
      if (starting) return starting;
      if (state !== 'idle') return Promise.reject(new Error(`worker cannot start: it is ${state}`));
      starting = startUp().finally(() => (starting = undefined));
      return starting;
    },
    close(closeOptions = {}) {
      closing ??= closeDown(closeOptions);
      return closing;
    },
    [Symbol.asyncDispose]() {
      return worker.close();
    },
    closeOnSignals(signalOptions = {}) {
      closeOnSignals(worker, logger, id, signalOptions);
    },
  };
  return worker;
}
