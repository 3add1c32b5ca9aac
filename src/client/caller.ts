import { ERROR_CODES, TaskwireError, toTaskwireError } from '../errors.js';
import { consoleLogger } from '../logger.js';
import { parseSync } from '../contract/parse.js';
import type { Route, RouteTable } from '../contract/route.js';
import type { ReplyMode } from '../wire/envelope.js';
import { DEFAULTS, UNRUN_REPLY_TAILS } from '../wire/protocol.js';
import { callIds, newClientId } from '../wire/ids.js';
import { superjsonSerializer, type Serializer } from '../wire/serializer.js';
import { closeConnection, openConnection, type Connection } from '../transport/connection.js';
import { ConnectionHealth } from '../transport/connection-health.js';
import { checkRedisSource } from '../transport/redis-source.js';
import { QueueStore } from '../transport/queue-store.js';
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
import { Followers } from './detached.js';
import { RUN_KEY } from '../wire/keys.js';
import { CHILD_KEY, childOptions, childRunId, isReservedKey, type ChildLink } from './child-link.js';
import { followUpId, followUpPlan } from './follow-up-plan.js';
import { QueueRoutes } from './queue-routes.js';
import { Dispatcher, type Sent } from './dispatcher.js';
import { cancelledCall, invalidInput, pastParent } from './call-errors.js';
import { cancelDetached } from './cancel-detached.js';
import { Signer } from '../wire/signing.js';
import { ReplyReceivers } from './reply-receivers.js';
import { EventHub, type EventsOptions, type TaskEvents } from './task-events.js';
import type { CallOptions, ClientOptions, ProgressCallOptions, SendOptions } from './types.js';

/** What makes a call detached: nobody awaits its reply; its outcome is kept this long. */
type Detached = { resultTtlMs: number };

export type { Sent };

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
  /** Gets planned calls into Redis (batched, stored inputs first, after a first SUBSCRIBE). */
  readonly #dispatcher: Dispatcher;
  readonly #stored: StoredPayloads;
  readonly #replies: ReplySettler;
  readonly #pending = new PendingCalls();
  readonly #abortListeners = new AbortListeners<PendingCall>((call) => this.#abort(call));
  /** Every queue this client may send to, partitions included. */
  readonly #queues: QueueRoutes;
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
  /** With signing: what joiners of an idempotent call this client withdraws are told (signed, for them to accept). */
  readonly #joinedReply: string | undefined;

  constructor(routes: RouteTable, options: ClientOptions) {
    // A mistake in where Redis is (an unset REDIS_URL) is reported here, not at the first call.
    checkRedisSource(options.redis, 'createClient()');
    this.#routes = routes;
    this.#options = options;
    this.#prefix = options.prefix ?? DEFAULTS.prefix;
    this.#sharded = options.shardedPubSub ?? false;
    this.#serializer = options.serializer ?? superjsonSerializer;
    this.#storeLargeInputs = options.storeLargeInputs ?? true;
    this.#queues = new QueueRoutes(routes, this.#prefix);
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
    this.#stored = new StoredPayloads(this.#commands, options.redis, this.id);
    this.#signer = options.signing ? new Signer(options.signing, 'createClient()') : undefined;
    this.#joinedReply = this.#signer?.signReplyTail(UNRUN_REPLY_TAILS.joinedWithdrawn);
    const logger = options.logger ?? consoleLogger;
    const check = this.#signer && { signer: this.#signer, acceptUnsigned: options.signing?.acceptUnsigned === true, onForged: (reason: string) => logger.warn(`taskwire: a reply was refused: ${reason}`, {}) };
    this.#replies = new ReplySettler(this.#pending, this.#serializer, this.#stored, check);
    this.#receivers = new ReplyReceivers({
      redis: options.redis,
      clientId: this.id,
      prefix: this.#prefix,
      queues: this.#queues.all(),
      sharded: this.#sharded,
      commands: this.#commands,
      onReply: (raw, keys) => this.#replies.onReply(raw, keys),
      hasKeyModeCalls: () => this.#pending.keyModeCount > 0,
      logger: options.logger ?? consoleLogger,
    });
    this.#dispatcher = new Dispatcher({
      store: this.#store,
      batcher: new EnqueueBatcher(this.#store),
      stored: this.#stored,
      receivers: this.#receivers,
      pending: this.#pending,
      health: this.#health,
      clientId: this.id,
      prefix: this.#prefix,
      sharded: this.#sharded,
      replyTtlMs: options.replyTtlMs ?? DEFAULTS.replyTtlMs,
      agingMs: options.priorityAgingMs ?? DEFAULTS.priorityAgingMs,
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
      keysOf: (queue) => this.#queues.keysOf(queue),
      partitionsOf: (queue) => this.#queues.partitionsOf(queue),
      queues: () => this.#queues.all(),
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
    if (options.signal?.aborted) return reject(cancelledCall(path));
    if (!route.input) return this.#send(route, input, options, resolve, reject, detached, link);
    const parsed = parseSync(route.input, input);
    if (parsed) return parsed.success ? this.#send(route, input, options, resolve, reject, detached, link) : reject(invalidInput(path, parsed.error));
    route.input
      .safeParseAsync(input)
      .then((p) => (p.success ? this.#send(route, input, options, resolve, reject, detached, link) : reject(invalidInput(path, p.error))))
      // Whatever throws here (in validation or in #send) rejects the call instead of leaving it hanging.
      .catch((err: unknown) => reject(err instanceof TaskwireError ? err : new TaskwireError(ERROR_CODES.INTERNAL, `calling ${path} failed: ${String(err)}`, { cause: err })));
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
      if (timeoutMs <= 0) return reject(pastParent(path));
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
    const onProgress = detached ? undefined : (options as ProgressCallOptions<unknown>).onProgress;
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
        if (timeoutMs <= 0) return reject(pastParent(path));
      }
      if (flow.delayMs > 0 && outgoing) outgoing = { ...outgoing, deadline: now + flow.delayMs + timeoutMs };
      if (hooks && outgoing) {
        hooks.prepare(outgoing);
        headers = Object.keys(outgoing.headers).length > 0 ? outgoing.headers : undefined;
      }
      const retry = options.retry;
      followUps = followUpPlan(this.#routes, path, id, options as { then?: unknown; catch?: unknown }, this.#options.defaultTimeoutMs);
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
    // A partitioned queue's partition: by the call's key, else its idempotency key, else round-robin.
    const by = route.partitions === undefined ? undefined : (options.partitionKey ?? idem);
    if (by !== undefined && (typeof by !== 'string' || by === '')) return reject(new TaskwireError(ERROR_CODES.VALIDATION, `${path}: partitionKey must be a non-empty string`));
    const keys = this.#queues.pick(route, by);
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
    if (signal?.aborted) return reject(cancelledCall(path));
    if (signal) cleanup = this.#abortListeners.add(signal, call);
    this.#pending.add(call, (c) => this.#expire(c), cleanup);

    const noWorkers = options.noWorkers ?? this.#options.noWorkers ?? 'fail';
    this.#dispatcher.dispatch({
      call,
      idem,
      idemTtlMs,
      detached: detached && { followUps: { then: followUps?.then ? followUpId(id, 'then') : undefined, catch: followUps?.catch ? followUpId(id, 'catch') : undefined } },
      storedInput,
      inputHash,
      delayMs: flow.delayMs,
      routed: flow !== PLAIN_FLOW,
      workerTtlMs: noWorkers === 'fail' ? (this.#options.workerTtlMs ?? DEFAULTS.workerTtlMs) : 0,
      onSent: outgoing && hooks ? () => hooks.sent(outgoing) : undefined,
    });
  }

  #abort(call: PendingCall): void {
    if (!this.#pending.reject(call.id, cancelledCall(call.route.path))) return;
    // A follower of a detached call stops waiting; the call itself goes on (handle.cancel() stops it).
    if (call.follower) return;
    // Withdrawn if still queued; otherwise the workers are told and abort the handler's ctx.signal.
    this.#withdraw(call, true);
  }

  /** Takes a call nobody waits for off its queue (with its delivery count and stored input). */
  #withdraw(call: PendingCall, announce: boolean): void {
    this.#store
      .withdraw(call.keys, { raw: call.raw, callId: call.id, deadline: call.deadline, announce, sharded: this.#sharded, group: call.group, task: call.route.path, idem: call.idem, joinedReply: this.#joinedReply })
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
    const keys = this.#queues.keysOf(sent.queue);
    if (!keys) throw new Error(`no keys for queue ${sent.queue}`);
    const deps = { store: this.#store, runs: this.#runs, serializer: this.#serializer, signer: this.#signer, sharded: this.#sharded, replyTtlMs: this.#options.replyTtlMs ?? DEFAULTS.replyTtlMs };
    await cancelDetached(deps, keys, path, sent, cancelledCall(path));
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
