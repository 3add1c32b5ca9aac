import { ERROR_CODES, TaskwireError } from '../errors.js';
import type { Route, RouteTable } from '../contract/route.js';
import { decodeReply, replyError } from '../wire/envelope.js';
import { RUN_KEY, type QueueKeys } from '../wire/keys.js';
import { DEFAULTS } from '../wire/protocol.js';
import type { Serializer } from '../wire/serializer.js';
import type { RunStore } from '../transport/run-store.js';
import type { PendingCall, PendingCalls } from './pending-calls.js';
import type { RunStatus, WaitOptions } from './types.js';
import { lookupOrder } from './partitions.js';

/*
 * The idempotency key of a detached call is `run:<id>` (wire/keys.ts RUN_KEY): the worker stores
 * its outcome there (complete-4's idempotency path) and hands copies to its waiters, so following
 * a detached call from any process is joining that key (follow-2.lua). User keys may not begin
 * with it.
 */

export interface FollowersOptions {
  routes: RouteTable;
  keysOf: (queue: string) => QueueKeys | undefined;
  /** The partitions of a partitioned queue; undefined for one that is not. */
  partitionsOf: (queue: string) => readonly QueueKeys[] | undefined;
  queues: () => QueueKeys[];
  store: RunStore;
  pending: PendingCalls;
  nextId: () => string;
  clientId: string;
  serializer: Serializer;
  replyTtlMs: number;
  defaultTimeoutMs: number;
  /** Makes the client read its inboxes (the copy of the outcome arrives there). */
  listen: () => void;
  expire: (call: PendingCall) => void;
  closed: () => boolean;
}

/** A route for following a call whose task is not known ($result): no output schema to check. */
function anyRoute(queue: string): Route {
  return { path: '(detached call)', queue, timeoutMs: undefined, retry: undefined, errorCodes: [], fingerprint: '', input: undefined, output: undefined };
}

/**
 * Awaits and reads detached calls by id, from this process or any other: `result()` is a
 * pending call of this client whose reply is the detached call's outcome, copied to it.
 */
export class Followers {
  readonly #o: FollowersOptions;

  constructor(options: FollowersOptions) {
    this.#o = options;
  }

  /**
   * The outcome of call `id` of task `path` (any of this client's tasks when undefined), awaited
   * until one deadline (`timeoutMs`, else the client's default), however long a chain it waits along.
   */
  result(path: string | undefined, id: string, options: WaitOptions = {}): Promise<unknown> {
    return this.#result(path, id, options, Date.now() + (options.timeoutMs ?? this.#o.defaultTimeoutMs), true);
  }

  async #result(path: string | undefined, id: string, options: WaitOptions, deadline: number, lookUpChain: boolean): Promise<unknown> {
    const o = this.#o;
    if (o.closed()) throw new TaskwireError(ERROR_CODES.CLOSED, 'client is closed');
    const route = path === undefined ? undefined : o.routes.get(path);
    if (path !== undefined && !route) throw new TaskwireError(ERROR_CODES.UNKNOWN_TASK, `unknown task "${path}"`, { data: { task: path } });
    for (const keys of this.#where(route, id)) {
      const outcome = await this.#follow(route ?? anyRoute(keys.logical), keys, id, { ...options, timeoutMs: Math.max(deadline - Date.now(), 1) }, route ? route.path : '');
      if (outcome !== UNKNOWN) return outcome;
    }
    // A follow-up (`<call id>.then`, `.catch`) is enqueued when its call settles: until then its id
    // is known in advance but not to Redis. Await the call (and its own call, up a chain), then
    // look once more.
    const parent = FOLLOW_UP.exec(id)?.[1];
    if (parent !== undefined && lookUpChain) {
      let waited: unknown;
      try {
        await this.#result(undefined, parent, options, deadline, true);
      } catch (err) {
        waited = err;
      }
      // Settled, or not: the call's own failure and this wait's (TIMEOUT, CANCELLED) look alike.
      const status = await this.status(undefined, parent);
      const state = status.state;
      if (state === 'succeeded' || state === 'failed') {
        const how = status.error?.code === ERROR_CODES.CANCELLED ? 'was cancelled' : state;
        try {
          return await this.#result(path, id, options, deadline, false);
        } catch (err) {
          if (!(err instanceof TaskwireError && err.code === ERROR_CODES.UNKNOWN_CALL)) throw err;
          throw new TaskwireError(ERROR_CODES.UNKNOWN_CALL, `follow-up ${id} did not run: its call ${parent} ${how}`, { data: { id, ...(path ? { task: path } : {}) } });
        }
      }
      if (state !== 'unknown' && waited !== undefined) throw waited;
    }
    throw new TaskwireError(ERROR_CODES.UNKNOWN_CALL, `no call ${id}${path ? ` of ${path}` : ''} is known: never sent, or its outcome expired (resultTtlMs)`, {
      data: { id, ...(path ? { task: path } : {}) },
    });
  }

  /** `task`: the task the call must be of ('' any). */
  #follow(route: Route, keys: QueueKeys, id: string, options: WaitOptions, task: string): Promise<unknown> {
    const o = this.#o;
    return new Promise((resolve, reject) => {
      const followerId = o.nextId();
      const timeoutMs = options.timeoutMs ?? o.defaultTimeoutMs;
      const call: PendingCall = {
        id: followerId,
        route,
        keys,
        mode: 'key',
        raw: '',
        stored: false,
        group: undefined,
        follower: true,
        deadline: Date.now() + timeoutMs,
        timeoutMs,
        enqueued: false,
        resolve,
        reject,
      };
      if (options.signal?.aborted) return reject(new TaskwireError(ERROR_CODES.CANCELLED, `waiting for ${id} was cancelled`));
      const replySpec = `h|${keys.replies(o.clientId)}|${keys.inbox(o.clientId)}`;
      // A waiter left behind would get a copy of the outcome written for nobody (a poll per second
      // for an hour: 3,600 copies when the call settles).
      const unfollow = () => void o.store.unfollow(keys, id, followerId, replySpec).catch(() => undefined);
      const onAbort = () => {
        if (o.pending.reject(followerId, new TaskwireError(ERROR_CODES.CANCELLED, `waiting for ${id} was cancelled`))) unfollow();
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      o.pending.add(
        call,
        (c) => {
          o.expire(c);
          unfollow();
        },
        () => options.signal?.removeEventListener('abort', onAbort),
      );
      o.listen();
      o.store
        .follow(keys, {
          callId: id,
          followerId,
          replySpec,
          replyTtlMs: o.replyTtlMs,
          inboxTtlMs: DEFAULTS.inboxTtlMs,
          task,
        })
        .then(
          (res) => {
            call.enqueued = true;
            if (res.kind === 'unknown') {
              if (o.pending.take(followerId)) resolve(UNKNOWN);
            } else if (res.kind === 'other-task') {
              o.pending.reject(
                followerId,
                new TaskwireError(ERROR_CODES.VALIDATION, `call ${id} is a call of ${res.task}, not of ${route.path}`, { data: { id, task: res.task } }),
              );
            }
          },
          (err: unknown) => o.pending.reject(followerId, new TaskwireError(ERROR_CODES.CONNECTION, `could not follow ${id}: ${String(err)}`, { cause: err })),
        );
    });
  }

  /** Where call `id` is: waiting, delayed, running, succeeded, failed, or unknown. */
  async status(path: string | undefined, id: string): Promise<RunStatus> {
    const o = this.#o;
    const route = path === undefined ? undefined : o.routes.get(path);
    for (const keys of this.#where(route, id)) {
      const run = await o.store.run(keys, id);
      const task = run.status['task'] || undefined;
      // A call of another task is not this task's (as result() says VALIDATION for it).
      if (route && task !== undefined && task !== route.path) {
        throw new TaskwireError(ERROR_CODES.VALIDATION, `call ${id} is a call of ${task}, not of ${route.path}`, { data: { id, task } });
      }
      const attempt = run.status['attempt'] === undefined ? undefined : Number(run.status['attempt']);
      const progress = this.#progress(run.status['progress']);
      if (run.reply !== null) {
        const decoded = decodeReply(run.reply);
        if (!decoded.ok) continue;
        const reply = decoded.value;
        if (reply.ok) return { id, state: 'succeeded', task, attempt, progress };
        return { id, state: 'failed', task, attempt, progress, error: replyError(reply, (d) => o.serializer.deserialize(d)) };
      }
      const state = run.status['state'];
      if (state === 'waiting' || state === 'delayed' || state === 'running') return { id, state, task, attempt, progress };
      if (run.known) return { id, state: 'waiting', task, attempt, progress };
    }
    return { id, state: 'unknown' };
  }

  /**
   * The queues call `id` may be on: its task's, else every queue of this client's tasks; of a
   * partitioned queue, the partition its `run:` key maps to first (docs/PARTITIONS.md).
   */
  #where(route: Route | undefined, id: string): QueueKeys[] {
    const o = this.#o;
    const queues = route ? [route.queue] : [...new Set([...o.routes.values()].map((r) => r.queue))];
    const out: QueueKeys[] = [];
    for (const queue of queues) {
      const parts = o.partitionsOf(queue);
      if (parts) out.push(...lookupOrder(parts, `${RUN_KEY}${id}`));
      else {
        const keys = o.keysOf(queue);
        if (keys) out.push(keys);
      }
    }
    return out;
  }

  #progress(text: string | undefined): unknown {
    if (text === undefined) return undefined;
    try {
      return this.#o.serializer.deserialize(JSON.parse(text));
    } catch {
      return undefined;
    }
  }
}

/** A follow-up's id: its call's id and the branch. */
const FOLLOW_UP = /^(.+)\.(?:then|catch)$/;

/** The follow found nothing on one queue: try the next. */
const UNKNOWN = Symbol('unknown');
