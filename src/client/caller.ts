import { ERROR_CODES, isTaskwireError, TaskwireError, toTaskwireError } from '../errors.js';
import { consoleLogger } from '../logger.js';
import type { z } from 'zod';
import { issuesText, parseSync } from '../contract/parse.js';
import type { Route, RouteTable } from '../contract/route.js';
import { encodeReply, type ReplyMode } from '../wire/envelope.js';
import { queueKeys, replyChannel, type QueueKeys } from '../wire/keys.js';
import { DEFAULTS } from '../wire/protocol.js';
import { callIds, newClientId } from '../wire/ids.js';
import { superjsonSerializer, type Serializer } from '../wire/serializer.js';
import { closeConnection, openConnection, type Connection } from '../transport/connection.js';
import { ConnectionHealth } from '../transport/connection-health.js';
import { checkRedisSource } from '../transport/redis-source.js';
import { QueueStore, type EnqueueResult } from '../transport/queue-store.js';
import { RunStore } from '../transport/run-store.js';
import { checkDurability, Durability } from '../transport/durability.js';
import { AbortListeners } from './abort-listeners.js';
import { EnqueueBatcher } from './enqueue-batcher.js';
import { ClientHooks, type OutgoingCall } from './interceptor.js';
import { flowPlan, PLAIN_FLOW, type FlowPlan } from './flow-options.js';
import { encodeOutgoing, type Encoded } from './outgoing-call.js';
import { ReplySettler } from './reply-settler.js';
import { StoredPayloads } from './stored-payloads.js';
import { PendingCalls, type PendingCall } from './pending-calls.js';
import { Followers, RUN_KEY } from './detached.js';
import { CHILD_KEY, childOptions, childRunId, isReservedKey, type ChildLink } from './child-link.js';
import { followUpId, followUpPlan } from './follow-up-plan.js';
import { partitionKeys, pickPartition, type Partitions } from './partitions.js';
import { Signer } from '../wire/signing.js';
import { ReplyReceivers } from './reply-receivers.js';
import { EventHub, type EventsOptions, type TaskEvents } from './task-events.js';
import type { CallOptions, ClientOptions, FollowUpIds, SendOptions } from './types.js';

/** What makes a call detached: nobody awaits its reply; its outcome is kept this long. */
interface Detached {
  resultTtlMs: number;
}

/** The call option of tasks that report progress (types.ts ProgressCallOptions). */
interface ProgressOption {
  onProgress?: (value: unknown) => void;
}

/** The call options naming follow-ups (types.ts FollowUpOptions), as the runtime reads them. */
interface FollowUpOptionsAny {
  then?: unknown;
  catch?: unknown;
}

/** A detached call once Redis has it: its id, and its envelope and place, for a cancel. */
export interface Sent {
  id: string;
  raw: string;
  deadline: number;
  group: string | undefined;
  /** The ids its follow-ups will have (when it names them). */
  followUps: FollowUpIds;
  /** How long its outcome is kept. */
  resultTtlMs: number;
  /** The queue it went to: its partition's, for a partitioned queue. */
  queue: string;
}

/**
 * The call path shared by the in-repo client and generated clients: validate, serialize, size
 * check, enqueue, and wait for exactly one outcome by the deadline.
 */
export class Caller {
  readonly id = newClientId();
  readonly #nextCallId = callIds(this.id);
  readonly #routes: RouteTable;
  readonly #prefix: string;
  /** Replies, progress and cancellations on the queues' shard channels (ClientOptions.shardedPubSub). */
  readonly #sharded: boolean;
  readonly #options: ClientOptions;
  readonly #serializer: Serializer;
  readonly #commands: Connection;
  readonly #store: QueueStore;
  /** Detached calls' status, outcomes and followers (run-store.ts). */
  readonly #runs: RunStore;
  readonly #hooks: ClientHooks | undefined;
  readonly #batcher: EnqueueBatcher;
  readonly #stored: StoredPayloads;
  readonly #replies: ReplySettler;
  readonly #pending = new PendingCalls();
  readonly #abortListeners = new AbortListeners<PendingCall>((call) => this.#abort(call));
  /** Every queue this client may send to, partitions included (each partition is a queue of its own). */
  readonly #keysByQueue = new Map<string, QueueKeys>();
  /** Per partitioned queue, its partitions' keys and the round-robin position. */
  readonly #partitioned = new Map<string, Partitions>();
  readonly #receivers: ReplyReceivers;
  #followers: Followers | undefined;
  #events: EventHub | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #everReady = false;
  /** Makes a Redis that is down or misconfigured heard: logged once, named in CONNECTION errors. */
  readonly #health: ConnectionHealth;
  readonly #storeLargeInputs: boolean;
  readonly #signer: Signer | undefined;

  constructor(routes: RouteTable, options: ClientOptions) {
    // A mistake in where Redis is (an unset REDIS_URL) is reported here, not at the first call.
    checkRedisSource(options.redis, 'createClient()');
    this.#routes = routes;
    this.#options = options;
    this.#prefix = options.prefix ?? DEFAULTS.prefix;
    this.#sharded = options.shardedPubSub ?? false;
    this.#serializer = options.serializer ?? superjsonSerializer;
    this.#storeLargeInputs = options.storeLargeInputs ?? true;
    for (const route of routes.values()) {
      if (route.partitions === undefined) {
        if (!this.#keysByQueue.has(route.queue)) this.#keysByQueue.set(route.queue, queueKeys(this.#prefix, route.queue));
      } else if (!this.#partitioned.has(route.queue)) {
        const parts = partitionKeys(this.#prefix, route.queue, route.partitions);
        this.#partitioned.set(route.queue, parts);
        for (const k of parts.keys) this.#keysByQueue.set(k.queue, k);
      }
    }
    this.#health = new ConnectionHealth(`client ${this.id}`, options.logger ?? consoleLogger);
    // Its other connections go to the same place: this one speaks for them in logs and errors.
    this.#commands = this.#health.watch(openConnection(options.redis, { name: `tw-client-${this.id}` }), 'commands');
    this.#commands.on('ready', () => {
      if (this.#everReady) void this.#receivers.sweep();
      this.#everReady = true;
    });
    const durability = checkDurability(options.durability, 'createClient()');
    this.#store = new QueueStore(this.#commands, durability && { durability: new Durability(this.#commands, durability), completeWithinMs: 0 });
    this.#hooks = ClientHooks.from(options.interceptors, options.logger ?? consoleLogger);
    this.#runs = new RunStore(this.#commands);
    this.#batcher = new EnqueueBatcher(this.#store);
    this.#stored = new StoredPayloads(this.#commands, options.redis, this.id);
    this.#signer = options.signing ? new Signer(options.signing, 'createClient()') : undefined;
    const logger = options.logger ?? consoleLogger;
    this.#replies = new ReplySettler(
      this.#pending,
      this.#serializer,
      this.#stored,
      this.#signer ? { signer: this.#signer, acceptUnsigned: options.signing?.acceptUnsigned === true, onForged: (reason) => logger.warn(`taskwire: a reply was refused: ${reason}`, {}) } : undefined,
    );
    this.#receivers = new ReplyReceivers({
      redis: options.redis,
      clientId: this.id,
      prefix: this.#prefix,
      queues: [...this.#keysByQueue.values()],
      sharded: this.#sharded,
      commands: this.#commands,
      onReply: (raw, keys) => this.#replies.onReply(raw, keys),
      hasKeyModeCalls: () => this.#pending.keyModeCount > 0,
      logger: options.logger ?? consoleLogger,
    });
  }

  get pending(): number {
    return this.#pending.size;
  }

  call(path: string, input: unknown, options: CallOptions = {}, link?: ChildLink): Promise<unknown> {
    return new Promise((resolve, reject) => {
      try {
        this.#start(path, input, link ? childOptions(options, link) : options, resolve, reject, undefined, link);
      } catch (err) {
        reject(toTaskwireError(err));
      }
    });
  }

  /** A detached call (docs/WORKFLOWS.md): resolves once Redis has it, with what cancelling it needs. */
  send(path: string, input: unknown, options: SendOptions = {}, link?: ChildLink): Promise<Sent> {
    const resultTtlMs = options.resultTtlMs ?? this.#routes.get(path)?.resultTtlMs ?? DEFAULTS.resultTtlMs;
    return new Promise((resolve, reject) => {
      if (!(Number.isInteger(resultTtlMs) && resultTtlMs > 0)) {
        return reject(new TaskwireError(ERROR_CODES.VALIDATION, `${path}: resultTtlMs must be a positive integer, got ${String(resultTtlMs)}`));
      }
      try {
        this.#start(path, input, link ? childOptions(options, link) : options, resolve as (value: unknown) => void, reject, { resultTtlMs }, link);
      } catch (err) {
        reject(toTaskwireError(err));
      }
    });
  }

  /** The completion events of task `path` while subscribed (client/task-events.ts). */
  events(path: string, options?: EventsOptions): TaskEvents<unknown> {
    if (this.#closed) throw new TaskwireError(ERROR_CODES.CLOSED, 'client is closed');
    this.#events ??= new EventHub({
      redis: this.#options.redis,
      prefix: this.#prefix,
      clientId: this.id,
      commands: this.#commands,
      serializer: this.#serializer,
      routes: this.#routes,
      logger: this.#options.logger ?? consoleLogger,
      sharded: this.#sharded,
    });
    return this.#events.open(path, options);
  }

  /** Follows a detached call from this or any process (client/detached.ts). */
  get followers(): Followers {
    this.#followers ??= new Followers({
      routes: this.#routes,
      keysOf: (queue) => this.#keysByQueue.get(queue),
      partitionsOf: (queue) => this.#partitioned.get(queue)?.keys,
      queues: () => [...this.#keysByQueue.values()],
      store: this.#runs,
      pending: this.#pending,
      nextId: this.#nextCallId,
      clientId: this.id,
      serializer: this.#serializer,
      replyTtlMs: this.#options.replyTtlMs ?? DEFAULTS.replyTtlMs,
      defaultTimeoutMs: this.#options.defaultTimeoutMs ?? DEFAULTS.timeoutMs,
      listen: () => this.#receivers.keyModeCall(),
      expire: (c) => this.#expire(c),
      closed: () => this.#closed,
    });
    return this.#followers;
  }

  /**
   * Synchronous up to the enqueue in the common case (no promise or microtask per step: the
   * call path allocates little, and that showed in the issue 5 profiles as GC time). Only an
   * input schema with async refinements, or the first pub/sub call, waits.
   */
  #start(
    path: string,
    input: unknown,
    options: CallOptions,
    resolve: (value: unknown) => void,
    reject: (err: TaskwireError<string, unknown>) => void,
    detached: Detached | undefined,
    link?: ChildLink,
  ): void {
    if (this.#closed) return reject(new TaskwireError(ERROR_CODES.CLOSED, 'client is closed'));
    const route = this.#routes.get(path);
    if (!route) return reject(new TaskwireError(ERROR_CODES.UNKNOWN_TASK, `unknown task "${path}"`, { data: { task: path } }));
    if (options.signal?.aborted) return reject(this.#cancelled(path));
    if (!route.input) return this.#send(route, input, options, resolve, reject, detached, link);
    const parsed = parseSync(route.input, input);
    if (parsed) return parsed.success ? this.#send(route, input, options, resolve, reject, detached, link) : reject(this.#invalid(path, parsed.error));
    route.input
      .safeParseAsync(input)
      .then((p) => (p.success ? this.#send(route, input, options, resolve, reject, detached, link) : reject(this.#invalid(path, p.error))))
      // Whatever throws here (in validation or in #send) rejects the call instead of leaving it hanging.
      .catch((err: unknown) => reject(err instanceof TaskwireError ? err : new TaskwireError(ERROR_CODES.INTERNAL, `calling ${path} failed: ${String(err)}`, { cause: err })));
  }

  #invalid(path: string, error: z.ZodError): TaskwireError<string, unknown> {
    return new TaskwireError(ERROR_CODES.VALIDATION, `invalid input for ${path}: ${issuesText(error)}`, {
      data: { task: path, issues: error.issues },
    });
  }

  #send(
    route: Route,
    input: unknown,
    options: CallOptions,
    resolve: (value: unknown) => void,
    reject: (err: TaskwireError<string, unknown>) => void,
    detached: Detached | undefined,
    link: ChildLink | undefined,
  ): void {
    const path = route.path;
    // A detached call has no reply to wait for: no inbox loop for it (pub/sub takes no listener here).
    const mode: ReplyMode = detached ? 'pubsub' : (options.replyMode ?? this.#options.replyMode ?? 'key');
    let timeoutMs = options.timeoutMs ?? route.timeoutMs ?? this.#options.defaultTimeoutMs ?? DEFAULTS.timeoutMs;
    if (!(timeoutMs > 0)) return reject(new TaskwireError(ERROR_CODES.VALIDATION, `timeoutMs must be positive, got ${timeoutMs}`));
    const now = Date.now();
    if (link) {
      timeoutMs = Math.min(timeoutMs, link.notAfter - now);
      if (timeoutMs <= 0) return reject(this.#pastParent(path));
    }
    // A detached child's id is its key's: a retried parent sending it again finds it (run:<id>).
    const id = detached && link ? childRunId(link) : this.#nextCallId();
    if (isReservedKey(options.idempotencyKey) && !link) {
      return reject(new TaskwireError(ERROR_CODES.VALIDATION, `idempotency keys beginning with "${RUN_KEY}" or "${CHILD_KEY}" are taskwire's (detached calls, child calls)`));
    }
    // A detached call keeps its outcome under the key run:<id>, for whoever follows it.
    const idem = detached ? `${RUN_KEY}${id}` : options.idempotencyKey;
    const idemTtlMs = detached?.resultTtlMs ?? options.idempotencyTtlMs ?? DEFAULTS.idempotencyTtlMs;
    // Progress reports come by pub/sub on this client's reply channel; a detached call has nobody to tell.
    const onProgress = detached ? undefined : (options as ProgressOption).onProgress;
    if (onProgress !== undefined && typeof onProgress !== 'function') return reject(new TaskwireError(ERROR_CODES.VALIDATION, `${path}: onProgress must be a function`));
    let headers = options.headers;
    const hooks = this.#hooks?.live() ? this.#hooks : undefined;
    let outgoing: OutgoingCall | undefined;
    if (hooks) {
      outgoing = { id, task: path, queue: route.queue, input, deadline: now + timeoutMs, headers: { ...headers } };
      ({ resolve, reject } = hooks.wrap(outgoing, resolve, reject));
    }
    let encoded: Encoded;
    let flow: FlowPlan = PLAIN_FLOW;
    let followUps: ReturnType<typeof followUpPlan>;
    try {
      flow = flowPlan(route, options, timeoutMs, now);
      if (link && flow.delayMs > 0) {
        timeoutMs = Math.min(timeoutMs, link.notAfter - now - flow.delayMs);
        if (timeoutMs <= 0) return reject(this.#pastParent(path));
      }
      if (flow.delayMs > 0 && outgoing) outgoing = { ...outgoing, deadline: now + flow.delayMs + timeoutMs };
      if (hooks && outgoing) {
        hooks.prepare(outgoing);
        headers = Object.keys(outgoing.headers).length > 0 ? outgoing.headers : undefined;
      }
      const retry = options.retry;
      followUps = followUpPlan(this.#routes, path, id, options as FollowUpOptionsAny, this.#options.defaultTimeoutMs);
      encoded = encodeOutgoing(
        {
          id,
          task: path,
          priority: flow.priority,
          group: flow.group,
          input,
          // Reply mode 'key' travels as `hash` (wire/envelope.ts WireReplyMode); none when detached.
          reply: detached ? undefined : { mode: mode === 'key' ? 'hash' : this.#sharded ? 'spubsub' : 'pubsub', client: this.id },
          // A delayed call's deadline counts from when it is due.
          deadline: now + flow.delayMs + timeoutMs,
          attempt: 1,
          headers,
          fp: route.fingerprint,
          sentAt: now,
          idem,
          idemTtl: idem === undefined ? undefined : idemTtlMs,
          retry: retry ? { attempts: retry.attempts, backoffMs: retry.backoffMs, maxDelayMs: retry.maxDelayMs } : undefined,
          progress: onProgress ? (this.#sharded ? 2 : 1) : undefined,
          then: followUps?.then,
          catch: followUps?.catch,
        },
        this.#serializer,
        this.#options.maxPayloadBytes ?? DEFAULTS.maxPayloadBytes,
        this.#storeLargeInputs,
      );
    } catch (err) {
      return reject(toTaskwireError(err));
    }
    // A partitioned queue (a branch, nothing more, for the others): the call's key, else its
    // idempotency key (so one key has one owner), else round-robin.
    let keys: QueueKeys;
    if (route.partitions === undefined) keys = this.#keysFor(route);
    else {
      const by = options.partitionKey ?? idem;
      if (by !== undefined && (typeof by !== 'string' || by === '')) return reject(new TaskwireError(ERROR_CODES.VALIDATION, `${path}: partitionKey must be a non-empty string`));
      keys = pickPartition(this.#partitionsOf(route), by);
    }
    const { storedInput, inputHash } = encoded;
    const raw = this.#signer ? this.#signer.signCall(encoded.raw, storedInput) : encoded.raw;
    const stored = storedInput !== undefined;
    const deadline = now + flow.delayMs + timeoutMs;
    // Its key goes if it is withdrawn: a later call with it must run, not wait for this one.
    const idemKey = idem === undefined || detached ? undefined : keys.idempotency(idem);
    const call: PendingCall = { id, route, keys, mode, raw, stored, group: flow.group, idem: idemKey, onProgress, deadline, timeoutMs, enqueued: false, resolve, reject };
    let cleanup: (() => void) | undefined;
    const signal = options.signal;
    // Checked again: validating the input may have yielded, and a signal aborted meanwhile will
    // not fire 'abort' for a listener added now.
    if (signal?.aborted) return reject(this.#cancelled(path));
    if (signal) cleanup = this.#abortListeners.add(signal, call);
    this.#pending.add(call, (c) => this.#expire(c), cleanup);

    const noWorkers = options.noWorkers ?? this.#options.noWorkers ?? 'fail';
    const ttl = noWorkers === 'fail' ? (this.#options.workerTtlMs ?? DEFAULTS.workerTtlMs) : 0;
    const enqueued = (res: EnqueueResult) => {
      call.enqueued = true;
      // Refused (no worker), or answered from an earlier call's idempotent result: nobody reads it.
      if (stored && res < 0) this.#stored.dropInput(keys, id);
      if (res === -1) {
        this.#pending.reject(
          id,
          new TaskwireError(ERROR_CODES.NO_WORKERS, `no live worker serves queue "${route.queue}" (task ${path}${keys.partition === undefined ? '' : `, partition ${keys.queue}`})`, {
            data: { task: path, queue: route.queue, ...(keys.partition === undefined ? {} : { partition: keys.partition }) },
          }),
        );
      } else if (res === -4) {
        this.#pending.reject(id, new TaskwireError(ERROR_CODES.IDEMPOTENCY_CONFLICT, `idempotency key "${idem}" is held by a call with another input (${path}, queue "${route.queue}")`, {
          data: { task: path, queue: route.queue, idempotencyKey: idem },
        }));
      } else {
        if (outgoing) hooks?.sent(outgoing);
        // Its outcome is kept in Redis; nobody here waits for it.
        if (detached) {
          const ids = { then: followUps?.then ? followUpId(id, 'then') : undefined, catch: followUps?.catch ? followUpId(id, 'catch') : undefined };
          this.#pending.resolve(id, { id, raw, deadline, group: flow.group, followUps: ids, resultTtlMs: idemTtlMs, queue: keys.queue } satisfies Sent);
        }
      }
    };
    const failed = (err: unknown) => {
      // Sent, but not confirmed by enough replicas before its deadline (durability.ts): said as such.
      if (isTaskwireError(err) && err.code === ERROR_CODES.NOT_REPLICATED) {
        call.enqueued = true;
        this.#pending.reject(id, new TaskwireError(err.code, `${path}: ${err.message}`, { data: { task: path, ...(err.data as object) }, cause: err }));
        return;
      }
      this.#pending.reject(id, this.#health.connectionError(`could not send ${path}`, err, { task: path }));
    };
    const aging = this.#options.priorityAgingMs ?? DEFAULTS.priorityAgingMs;
    const enqueueNow = () => {
      if (idem === undefined) {
        if (flow === PLAIN_FLOW) return this.#batcher.enqueue(keys, raw, ttl, timeoutMs, enqueued, failed);
        // A delay, a priority or a group: batched with calls like it, which the script routes.
        return this.#batcher.enqueueRouted(keys, raw, flow.delayMs, ttl, flow.delayMs + timeoutMs, aging, enqueued, failed);
      }
      this.#store
        .enqueue(keys, {
          raw,
          workerTtlMs: ttl,
          callId: id,
          idem: idem === undefined ? '' : keys.idempotency(idem),
          // Until it settles, a detached call's key lives at least as long as it could still run
          // (delay, deadline, a minute): a short resultTtlMs must not make a queued call unknown.
          // Its outcome is then kept resultTtlMs (the envelope's idemTtl).
          idemTtlMs: detached ? Math.max(idemTtlMs, flow.delayMs + timeoutMs + 60_000) : idemTtlMs,
          replySpec: detached ? '-' : mode === 'pubsub' ? (this.#sharded ? `s|${keys.replyChannel(this.id)}` : `p|${replyChannel(this.#prefix, this.id)}`) : `h|${keys.replies(this.id)}|${keys.inbox(this.id)}`,
          replyTtlMs: this.#options.replyTtlMs ?? DEFAULTS.replyTtlMs,
          inboxTtlMs: DEFAULTS.inboxTtlMs,
          sentTtlMs: flow.delayMs + timeoutMs,
          inputHash: inputHash ?? '',
          delayMs: flow.delayMs,
          agingMs: aging,
          statusKey: detached ? keys.run(id) : '',
        })
        .then(enqueued, failed);
    };
    // The enqueue waits for the SET: a call whose input Redis refused (OOM, say) must not be
    // queued, nor one that timed out or was cancelled meanwhile (its input goes again).
    const enqueue = storedInput !== undefined
      ? () => {
          // Settled meanwhile (closed, cancelled, timed out while a first pub/sub call subscribed).
          if (!this.#pending.get(id)) return;
          this.#stored
            .writeInput(keys, id, storedInput, timeoutMs)
            .then(() => (this.#pending.get(id) ? enqueueNow() : this.#stored.dropInput(keys, id)), failed);
        }
      : enqueueNow;
    if (mode === 'key' && !detached) this.#receivers.keyModeCall();
    if (detached || (mode === 'key' && !onProgress)) return enqueue();
    // Pub/sub replies (and progress reports) are only heard once subscribed: the first call waits for the SUBSCRIBE.
    const subscribed = this.#receivers.pubsubReady(keys);
    if (subscribed === true) return enqueue();
    subscribed.then(enqueue, failed);
  }

  #pastParent(path: string): TaskwireError<string, unknown> {
    return new TaskwireError(ERROR_CODES.TIMEOUT, `${path} could not start before its parent call's deadline`, { data: { task: path } });
  }

  #cancelled(path: string): TaskwireError<string, unknown> {
    return new TaskwireError(ERROR_CODES.CANCELLED, `call of ${path} was cancelled`, { data: { task: path } });
  }

  #abort(call: PendingCall): void {
    if (!this.#pending.reject(call.id, this.#cancelled(call.route.path))) return;
    // A follower of a detached call stops waiting; the call itself goes on (handle.cancel() stops it).
    if (call.follower) return;
    // Withdrawn if still queued; otherwise the workers are told and abort the handler's ctx.signal.
    this.#withdraw(call, true);
  }

  /** Takes a call nobody waits for off its queue (with its delivery count and stored input). */
  #withdraw(call: PendingCall, announce: boolean): void {
    this.#store
      .withdraw(call.keys, { raw: call.raw, callId: call.id, deadline: call.deadline, announce, sharded: this.#sharded, group: call.group, task: call.route.path, idem: call.idem })
      .catch(() => undefined);
  }

  #expire(call: PendingCall): void {
    // A large call waits for its input's SET before it is enqueued.
    const unreachable = !call.enqueued && (this.#commands.status !== 'ready' || (call.stored && this.#stored.inputsDown));
    const err = unreachable
      ? this.#health.connectionError(`Redis unreachable: ${call.route.path} could not be sent before its deadline`, undefined, { task: call.route.path })
      : new TaskwireError(ERROR_CODES.TIMEOUT, `${call.route.path} got no result within its deadline`, {
          data: { task: call.route.path, timeoutMs: call.timeoutMs },
        });
    this.#pending.reject(call.id, err);
    // A queued call nobody will wait for is withdrawn; workers also skip calls past their deadline.
    if (call.enqueued && !call.follower) this.#withdraw(call, false);
  }

  /**
   * Cancels a detached call this client sent (its handle): withdrawn if queued, and then its
   * outcome is CANCELLED at once for whoever awaits it; else its handler is told (and the worker
   * stores CANCELLED when the handler stops).
   */
  async cancelSent(path: string, sent: Sent): Promise<void> {
    const route = this.#routes.get(path);
    if (!route) return;
    const keys = this.#keysByQueue.get(sent.queue) ?? this.#keysFor(route);
    const res = await this.#store.withdraw(keys, { raw: sent.raw, callId: sent.id, deadline: sent.deadline, announce: true, sharded: this.#sharded, group: sent.group, task: path });
    if (res !== 'withdrawn') return;
    const error = this.#cancelled(path).toJSON();
    const unsigned = encodeReply({ id: sent.id, ok: false, error: error.data === undefined ? error : { ...error, data: this.#serializer.serialize(error.data) } });
    const reply = this.#signer ? this.#signer.signReply(unsigned) : unsigned;
    await this.#runs.cancelRun(keys, sent.id, reply, sent.resultTtlMs, this.#options.replyTtlMs ?? DEFAULTS.replyTtlMs);
  }

  #partitionsOf(route: Route): Partitions {
    const parts = this.#partitioned.get(route.queue);
    if (!parts) throw new Error(`no partitions for queue ${route.queue}`);
    return parts;
  }

  #keysFor(route: Route): QueueKeys {
    const keys = this.#keysByQueue.get(route.queue);
    if (!keys) throw new Error(`no keys for queue ${route.queue}`);
    return keys;
  }

  /** Idempotent: every call returns the same promise, resolved once every connection is closed. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#health.stop();
    this.#pending.rejectAll((c) => new TaskwireError(ERROR_CODES.CLOSED, `client closed while ${c.route.path} was in flight`));
    const receivers = Promise.all([this.#receivers.close(), this.#events?.close()]);
    const conns = [this.#commands, this.#stored.connection].filter((c): c is Connection => c !== undefined);
    await Promise.all([receivers, ...conns.map((c) => closeConnection(c))]);
  }
}
