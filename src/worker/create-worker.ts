import { randomUUID } from 'node:crypto';
import { ERROR_CODES, TaskwireError } from '../errors.js';
import { fingerprintTask } from '../contract/fingerprint.js';
import { listTasks, type RouterShape } from '../contract/router.js';
import { DEFAULT_QUEUE } from '../contract/route.js';
import { bytesOver, decodeCall, encodeCall, type CallEnvelope } from '../wire/envelope.js';
import { INBOX_TTL_MS, queueKeys, replyChannelPrefix, type QueueKeys } from '../wire/keys.js';
import { superjsonSerializer } from '../wire/serializer.js';
import { closeConnection, openConnection, redisErrorCode, type Connection } from '../transport/connection.js';
import { scripts as loadScripts, type TakenCall } from '../transport/scripts.js';
import { CallContext } from './call-context.js';
import { Fetcher } from './fetcher.js';
import { LeaseKeeper } from './lease.js';
import { Replier } from './replier.js';
import { parseInput, retryDelay, runHandler, type Outcome, type TaskEntry } from './runner.js';
import { settlements, type OkSettlement } from './settlements.js';
import { Slots } from './slots.js';
import { TakeBudget } from './take-budget.js';
import type { Handler, Handlers, Worker, WorkerOptions, WorkerStats } from './types.js';

interface Running {
  keys: QueueKeys;
  ctx: CallContext;
  deadline: number;
}

const DEFAULTS = {
  prefix: 'tw',
  concurrency: 16,
  leaseMs: 30_000,
  maintenanceIntervalMs: 1_000,
  workerTtlMs: 10_000,
  maxDeliveries: 5,
  maxPayloadBytes: 4 * 1024 * 1024,
  replyTtlMs: 60_000,
  deadlineGraceMs: 5_000,
  deadLetterMaxLen: 10_000,
  drainTimeoutMs: 10_000,
} as const;

function handlerAt(handlers: unknown, path: string): Handler<never> | undefined {
  let node: unknown = handlers;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'function' ? (node as Handler<never>) : undefined;
}

const consoleLogger = {
  warn: (message: string, detail?: Record<string, unknown>) => console.warn(message, detail ?? ''),
  error: (message: string, detail?: Record<string, unknown>) => console.error(message, detail ?? ''),
};

/**
 * A worker serving a contract: takes calls from the contract's queues, runs the handlers with
 * `concurrency` slots, and replies. See docs/ARCHITECTURE.md for the path of one call.
 */
export function createWorker<R extends RouterShape>(contract: R, handlers: Handlers<R>, options: WorkerOptions): Worker {
  const o = { ...DEFAULTS, ...options };
  const logger = options.logger ?? consoleLogger;
  const serializer = options.serializer ?? superjsonSerializer;
  const id = randomUUID();
  const stats: WorkerStats = { taken: 0, started: 0, succeeded: 0, failed: 0, retried: 0, deadLettered: 0, expired: 0, fenced: 0 };

  const entries = new Map<string, TaskEntry>();
  for (const { path, task } of listTasks(contract)) {
    const handler = handlerAt(handlers, path);
    // The types demand every handler; this guards plain-JS callers and casts.
    if (!handler) throw new TypeError(`createWorker(): no handler for task "${path}"`);
    entries.set(path, { path, task, handler: handler as Handler<never> as TaskEntry['handler'], fingerprint: fingerprintTask(task) });
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
  // worker runs one such suspect at a time (take-8.lua), so co-tenants of a poison call are
  // not charged its crashes. Below maxDeliveries, so an innocent suspect still gets its turn.
  const suspectFrom = Math.max(1, Math.min(2, o.maxDeliveries - 1));
  let suspect: Promise<unknown> | undefined;
  const leases = new LeaseKeeper({
    held: running,
    leaseMs: o.leaseMs,
    graceMs: o.deadlineGraceMs,
    extend: (keys, tokens) => loadScripts(conn()).extend(keys, o.leaseMs, tokens),
    onLost: (token) => running.get(token)?.ctx.abortWith(new TaskwireError(ERROR_CODES.CLOSED, 'lease lost: another worker owns this call now')),
    onError: (err) => logger.warn('taskwire: lease renewal failed', { error: String(err) }),
  });

  function conn(): Connection {
    if (!commands) throw new Error('worker is not started');
    return commands;
  }

  /**
   * Settles with retries while Redis is away: a computed result is worth keeping until the lease
   * ends. Resolves false when the result was dropped (lease lost, or Redis never came back).
   */
  async function settle(keys: QueueKeys, item: OkSettlement): Promise<boolean> {
    const giveUp = Date.now() + o.leaseMs;
    let written = false;
    for (;;) {
      try {
        // Written first (awaited, once), so the reply never names an output that is not there
        // yet. A fenced worker's output is left to its TTL: "not settled" may also be a re-sent
        // complete whose first run settled, and its reply names this very key.
        const stored = item.storedOutput;
        if (stored && !written) {
          written = await storeOutput(stored);
          if (!written) {
            // Redis refused it (OOM, an ACL without output keys): the result goes inline instead.
            item.payload = stored.inline;
            item.storedOutput = undefined;
          }
        }
        const settled = await (replier as Replier).settle(keys, item);
        if (!settled) stats.fenced++;
        return settled;
      } catch (err) {
        if (Date.now() > giveUp || state === 'closed') {
          logger.error('taskwire: could not settle a call; it will be redelivered after its lease', { callId: item.callId, error: String(err) });
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /** Writes a stored result; false if Redis refused it (connection errors throw, and settle() retries). */
  async function storeOutput(stored: { key: string; text: string }): Promise<boolean> {
    try {
      await conn().set(stored.key, stored.text, 'PX', o.replyTtlMs);
      return true;
    } catch (err) {
      if (redisErrorCode(err) === undefined) throw err;
      logger.warn('taskwire: could not store a large result; sending it inline', { error: (err as Error).message });
      return false;
    }
  }

  /**
   * `free` gives the call's concurrency slot back. It is called as soon as the handler is done,
   * before the result's round trip to Redis: concurrency bounds running handlers, and holding a
   * slot through the settle round trip idled the worker (issue 5's profile: ~40% of a slot's cycle).
   */
  async function handle(keys: QueueKeys, taken: TakenCall, free: () => void): Promise<unknown> {
    const decoded = decodeCall(taken.raw);
    if (!decoded.ok) {
      // Garbage: set aside with the reason; tell the caller when the message still names one.
      logger.warn('taskwire: malformed message set aside', { queue: keys.queue, reason: decoded.reason });
      stats.deadLettered++;
      const err = new TaskwireError(ERROR_CODES.PROTOCOL, `malformed call: ${decoded.reason}`);
      const item = build.error(keys, taken.token, { id: decoded.id ?? '', reply: decoded.reply }, undefined, err, `PROTOCOL: ${decoded.reason}`);
      // An input it says it stored has no reader left (it cannot be replayed either).
      if (decoded.id && taken.raw.includes('"stored":1')) item.input = '-';
      return settle(keys, item);
    }
    const env = decoded.value;
    let inputText: string | undefined;
    const entry = entries.get(env.task);
    if (!entry || (entry.task.queue ?? DEFAULT_QUEUE) !== keys.queue) {
      stats.deadLettered++;
      const err = new TaskwireError(ERROR_CODES.UNKNOWN_TASK, `no task "${env.task}" on queue "${keys.queue}"`, { data: { task: env.task } });
      return finish(keys, env, inputText, build.error(keys, taken.token, env, undefined, err, 'UNKNOWN_TASK'));
    }
    if (taken.deliveries > o.maxDeliveries) {
      stats.deadLettered++;
      const err = new TaskwireError(ERROR_CODES.DEAD_LETTERED, `${env.task} was delivered ${taken.deliveries - 1} times without finishing`, {
        data: { task: env.task, deliveries: taken.deliveries - 1 },
      });
      return finish(keys, env, inputText, build.error(keys, taken.token, env, entry.fingerprint, err, 'MAX_DELIVERIES'));
    }
    if (Date.now() >= env.deadline) {
      // The caller already got TIMEOUT; running now would only waste work (and side effects).
      stats.expired++;
      return finish(keys, env, inputText, build.silent(taken.token, env.id));
    }
    if (env.stored === 1) {
      const read = await readInput(keys, env);
      let failure = read.error;
      if (read.text !== undefined) {
        inputText = read.text;
        try {
          env.input = JSON.parse(read.text);
        } catch (err) {
          failure = new TaskwireError(ERROR_CODES.PROTOCOL, `the stored input of ${env.task} is not JSON: ${(err as Error).message}`, { data: { task: env.task } });
        }
      }
      if (failure) {
        stats.deadLettered++;
        const reason = failure.code === ERROR_CODES.PAYLOAD_TOO_LARGE ? 'PAYLOAD_TOO_LARGE' : `PROTOCOL: ${failure.message}`;
        return finish(keys, env, inputText, build.error(keys, taken.token, env, entry.fingerprint, failure, reason));
      }
    }
    const outcome = await execute(keys, taken, env, entry);
    free();
    if (outcome.ok) {
      const settlement = build.ok(keys, taken.token, env, outcome.output, entry.fingerprint);
      const bytes = bytesOver(settlement.storedOutput?.text ?? settlement.payload, o.maxPayloadBytes);
      if (bytes === undefined) {
        // Counted once it reached Redis: a fenced result was not a success anyone saw.
        if (await finish(keys, env, inputText, settlement)) stats.succeeded++;
        return;
      }
      // Answered, not dropped: the caller learns why instead of waiting for its deadline.
      stats.failed++;
      logger.error(`taskwire: ${env.task} returned a result over maxPayloadBytes`, { callId: env.id, bytes, limit: o.maxPayloadBytes });
      const err = new TaskwireError(
        ERROR_CODES.PAYLOAD_TOO_LARGE,
        `result of ${env.task} is ${bytes} bytes, over the worker's ${o.maxPayloadBytes}-byte limit`,
        { data: { task: env.task, bytes, limit: o.maxPayloadBytes } },
      );
      return finish(keys, env, inputText, build.error(keys, taken.token, env, entry.fingerprint, err));
    }
    stats.failed++;
    if (outcome.error.code === ERROR_CODES.CANCELLED) return finish(keys, env, inputText, build.silent(taken.token, env.id));
    const policy = env.retry ?? entry.task.retry;
    if (outcome.retryable && policy && env.attempt < policy.attempts) {
      const delay = retryDelay(policy, env.attempt);
      if (Date.now() + delay < env.deadline) {
        stats.retried++;
        // Re-read from the raw text, not `env`: the handler got env.input's objects without a copy
        // (see serializer.ts) and may have changed them.
        const again = decodeCall(taken.raw);
        const next = encodeCall({ ...(again.ok ? again.value : env), attempt: env.attempt + 1 });
        return finish(keys, env, inputText, build.retry(taken.token, env.id, delay, next));
      }
    }
    const exhausted = policy !== undefined && policy.attempts > 1 && outcome.retryable;
    const deadReason = outcome.unreadable ? `PROTOCOL: ${outcome.error.message}` : exhausted ? 'ATTEMPTS_EXHAUSTED' : '';
    if (deadReason) stats.deadLettered++;
    return finish(keys, env, inputText, build.error(keys, taken.token, env, entry.fingerprint, outcome.error, deadReason));
  }

  /**
   * settle(), and a call's stored input goes with it (complete-5.lua): deleted, or kept in its
   * dead letter (read for that if it was not read yet); a retry leaves it for the next attempt.
   * Not async itself: calls with their input inline (nearly all) pay no extra promise.
   */
  function finish(keys: QueueKeys, env: CallEnvelope, inputText: string | undefined, item: OkSettlement): Promise<boolean> {
    if (env.stored !== 1 || item.action === 'r') return settle(keys, item);
    return (async () => {
      const text = item.deadReason === '' ? undefined : (inputText ?? (await readInput(keys, env)).text);
      item.input = text ?? '-';
      return settle(keys, item);
    })();
  }

  /**
   * Reads a call's stored input (keys.ts STORED_PAYLOAD_BYTES): its text, or why not. At most
   * maxPayloadBytes + 1 bytes are read, so an oversized input written by someone else is refused
   * without loading it all.
   */
  async function readInput(keys: QueueKeys, env: CallEnvelope): Promise<{ text?: string; error?: TaskwireError<string, unknown> }> {
    const data = { task: env.task };
    let body: Buffer;
    try {
      body = await conn().getrangeBuffer(keys.input(env.id), 0, o.maxPayloadBytes);
    } catch (err) {
      // A refusal that will not pass on redelivery (an ACL without input keys, a wrong type) is
      // answered now. Anything else (a lost connection, BUSY, LOADING) throws: the call comes
      // back when its lease expires.
      const code = redisErrorCode(err);
      if (code !== 'NOPERM' && code !== 'WRONGTYPE') throw err;
      return { error: new TaskwireError(ERROR_CODES.PROTOCOL, `the stored input of ${env.task} cannot be read: ${(err as Error).message}`, { data }) };
    }
    // GETRANGE answers "" for a missing key; a serialized input is never empty.
    if (body.length === 0) return { error: new TaskwireError(ERROR_CODES.PROTOCOL, `the stored input of ${env.task} is gone (expired or deleted)`, { data }) };
    if (body.length > o.maxPayloadBytes) {
      const limit = o.maxPayloadBytes;
      return { error: new TaskwireError(ERROR_CODES.PAYLOAD_TOO_LARGE, `stored input of ${env.task} is over the worker's ${limit}-byte limit`, { data: { ...data, limit } }) };
    }
    return { text: body.toString('utf8') };
  }

  async function execute(keys: QueueKeys, taken: TakenCall, env: CallEnvelope, entry: TaskEntry): Promise<Outcome> {
    const input = await parseInput(entry, env, serializer);
    if (!('input' in input)) return input;
    const ctx = new CallContext(env, taken.deliveries);
    stats.started++;
    // One entry per running call: the lease keeper renews from it, cancellation and close abort through it.
    running.set(taken.token, { keys, ctx, deadline: env.deadline });
    try {
      const t0 = performance.now();
      const outcome = runHandler(entry, input.input, ctx, logger);
      // runHandler returned at the handler's first await (or its end): that much blocked the thread.
      budget.record(performance.now() - t0);
      return await outcome;
    } finally {
      ctx.dispose();
      running.delete(taken.token);
    }
  }

  async function maintain(): Promise<void> {
    const s = loadScripts(conn());
    await Promise.all(queues.map((k) => s.maintain(k, id, o.workerTtlMs, 1000, state === 'running')));
  }

  const worker: Worker = {
    id,
    stats,
    get running() {
      return running.size;
    },
    async start() {
      if (state !== 'idle') throw new Error(`worker cannot start: it is ${state}`);
      state = 'running';
      commands = openConnection(options.redis, { name: `tw-worker-${id}` });
      commands.on('error', () => undefined);
      const s = loadScripts(commands);
      replier = new Replier(s, {
        inboxTtlMs: INBOX_TTL_MS,
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
          workerId: id,
          scripts: s,
          blocking,
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
            stats.taken++;
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
      // Stop taking: BLMOVE may be parked for up to a second; cutting its connection ends it now.
      for (const b of blockings) b.disconnect(false);
      slots.wakeAll();
      await Promise.all(fetchers.map((f) => f.stop()));
      const drainMs = closeOptions.drainTimeoutMs ?? o.drainTimeoutMs;
      await Promise.race([Promise.all([...handling]), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
      // Unfinished calls go back to the queue for another worker; their late results are fenced off.
      const left = [...running.entries()];
      for (const [, r] of left) r.ctx.abortWith(new TaskwireError(ERROR_CODES.CLOSED, 'worker closed before the call finished'));
      const c = conn();
      const s = loadScripts(c);
      for (const keys of queues) {
        const tokens = left.filter(([, r]) => r.keys === keys).map(([t]) => t);
        try {
          if (tokens.length) await s.release(keys, tokens);
          await (replier as Replier).drain();
          while (await c.lmove(keys.claim(id), keys.wait, 'RIGHT', 'LEFT')) {
            // Calls parked in our claim list by a BLMOVE that raced the close go back too.
          }
        } catch (err) {
          logger.warn('taskwire: could not hand calls back on close; the reaper will', { error: String(err) });
        }
      }
      leases.stop();
      clearInterval(maintenance);
      state = 'closed';
      await maintain().catch(() => undefined);
      await Promise.all([c, ...blockings, ...(subscriber ? [subscriber] : [])].map((x) => closeConnection(x)));
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
