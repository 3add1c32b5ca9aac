import { ERROR_CODES, TaskwireError } from '../errors.js';
import { DEFAULT_QUEUE } from '../contract/route.js';
import { bytesOver, decodeCall, encodeCall, type CallEnvelope } from '../wire/envelope.js';
import type { QueueKeys } from '../wire/keys.js';
import type { Serializer } from '../wire/serializer.js';
import { redisErrorCode, type Connection } from '../transport/connection.js';
import type { TakenCall } from '../transport/scripts.js';
import { CallContext } from './call-context.js';
import type { Replier } from './replier.js';
import { parseInput, retryDelay, runHandler, type Outcome, type TaskEntry } from './runner.js';
import type { OkSettlement, settlements } from './settlements.js';
import type { TakeBudget } from './take-budget.js';
import type { Logger } from '../logger.js';
import type { WorkerStats } from './types.js';

/** A call being run: what the lease keeper renews and cancellation and close abort. */
export interface Running {
  keys: QueueKeys;
  ctx: CallContext;
  deadline: number;
}

/** What handling a call needs from the worker around it (create-worker.ts). */
export interface CallHandlerDeps {
  entries: ReadonlyMap<string, TaskEntry>;
  stats: WorkerStats;
  build: ReturnType<typeof settlements>;
  serializer: Serializer;
  logger: Logger;
  running: Map<string, Running>;
  budget: TakeBudget;
  leaseMs: number;
  replyTtlMs: number;
  maxDeliveries: number;
  maxPayloadBytes: number;
  conn: () => Connection;
  replier: () => Replier;
  closed: () => boolean;
}

/**
 * One taken call, from its raw envelope to its settlement: decode, checks (task, deliveries,
 * deadline), stored input, run, and how it ends (reply, retry, dead letter), settled with
 * retries while Redis is away.
 */
export function callHandler(d: CallHandlerDeps): { handle(keys: QueueKeys, taken: TakenCall, free: () => void): Promise<unknown> } {
  /**
   * Settles with retries while Redis is away: a computed result is worth keeping until the lease
   * ends. Resolves false when the result was dropped (lease lost, or Redis never came back).
   */
  async function settle(keys: QueueKeys, item: OkSettlement): Promise<boolean> {
    const giveUp = Date.now() + d.leaseMs;
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
        const settled = await d.replier().settle(keys, item);
        if (!settled) d.stats.fenced++;
        return settled;
      } catch (err) {
        if (Date.now() > giveUp || d.closed()) {
          d.logger.error('taskwire: could not settle a call; it will be redelivered after its lease', { callId: item.callId, error: String(err) });
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /** Writes a stored result; false if Redis refused it (connection errors throw, and settle() retries). */
  async function storeOutput(stored: { key: string; text: string }): Promise<boolean> {
    try {
      await d.conn().set(stored.key, stored.text, 'PX', d.replyTtlMs);
      return true;
    } catch (err) {
      if (redisErrorCode(err) === undefined) throw err;
      d.logger.warn('taskwire: could not store a large result; sending it inline', { error: (err as Error).message });
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
      d.logger.warn('taskwire: malformed message set aside', { queue: keys.queue, reason: decoded.reason });
      d.stats.deadLettered++;
      const err = new TaskwireError(ERROR_CODES.PROTOCOL, `malformed call: ${decoded.reason}`);
      const item = d.build.error(keys, taken.token, { id: decoded.id ?? '', reply: decoded.reply }, undefined, err, `PROTOCOL: ${decoded.reason}`);
      // An input it says it stored has no reader left (it cannot be replayed either).
      if (decoded.id && taken.raw.includes('"stored":1')) item.input = '-';
      return settle(keys, item);
    }
    const env = decoded.value;
    let inputText: string | undefined;
    const entry = d.entries.get(env.task);
    if (!entry || (entry.task.queue ?? DEFAULT_QUEUE) !== keys.queue) {
      d.stats.deadLettered++;
      const err = new TaskwireError(ERROR_CODES.UNKNOWN_TASK, `no task "${env.task}" on queue "${keys.queue}"`, { data: { task: env.task } });
      return finish(keys, env, inputText, d.build.error(keys, taken.token, env, undefined, err, 'UNKNOWN_TASK'));
    }
    if (taken.deliveries > d.maxDeliveries) {
      d.stats.deadLettered++;
      const err = new TaskwireError(ERROR_CODES.DEAD_LETTERED, `${env.task} was delivered ${taken.deliveries - 1} times without finishing`, {
        data: { task: env.task, deliveries: taken.deliveries - 1 },
      });
      return finish(keys, env, inputText, d.build.error(keys, taken.token, env, entry.fingerprint, err, 'MAX_DELIVERIES'));
    }
    if (Date.now() >= env.deadline) {
      // The caller already got TIMEOUT; running now would only waste work (and side effects).
      d.stats.expired++;
      return finish(keys, env, inputText, d.build.silent(taken.token, env.id));
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
        d.stats.deadLettered++;
        const reason = failure.code === ERROR_CODES.PAYLOAD_TOO_LARGE ? 'PAYLOAD_TOO_LARGE' : `PROTOCOL: ${failure.message}`;
        return finish(keys, env, inputText, d.build.error(keys, taken.token, env, entry.fingerprint, failure, reason));
      }
    }
    const outcome = await execute(keys, taken, env, entry);
    free();
    if (outcome.ok) {
      const settlement = d.build.ok(keys, taken.token, env, outcome.output, entry.fingerprint);
      const bytes = bytesOver(settlement.storedOutput?.text ?? settlement.payload, d.maxPayloadBytes);
      if (bytes === undefined) {
        // Counted once it reached Redis: a fenced result was not a success anyone saw.
        if (await finish(keys, env, inputText, settlement)) d.stats.succeeded++;
        return;
      }
      // Answered, not dropped: the caller learns why instead of waiting for its deadline.
      d.stats.failed++;
      d.logger.error(`taskwire: ${env.task} returned a result over maxPayloadBytes`, { callId: env.id, bytes, limit: d.maxPayloadBytes });
      const err = new TaskwireError(
        ERROR_CODES.PAYLOAD_TOO_LARGE,
        `result of ${env.task} is ${bytes} bytes, over the worker's ${d.maxPayloadBytes}-byte limit`,
        { data: { task: env.task, bytes, limit: d.maxPayloadBytes } },
      );
      return finish(keys, env, inputText, d.build.error(keys, taken.token, env, entry.fingerprint, err));
    }
    d.stats.failed++;
    if (outcome.error.code === ERROR_CODES.CANCELLED) return finish(keys, env, inputText, d.build.silent(taken.token, env.id));
    const policy = env.retry ?? entry.task.retry;
    if (outcome.retryable && policy && env.attempt < policy.attempts) {
      const delay = retryDelay(policy, env.attempt);
      if (Date.now() + delay < env.deadline) {
        d.stats.retried++;
        // Re-read from the raw text, not `env`: the handler got env.input's objects without a copy
        // (see serializer.ts) and may have changed them.
        const again = decodeCall(taken.raw);
        const next = encodeCall({ ...(again.ok ? again.value : env), attempt: env.attempt + 1 });
        return finish(keys, env, inputText, d.build.retry(taken.token, env.id, delay, next));
      }
    }
    const exhausted = policy !== undefined && policy.attempts > 1 && outcome.retryable;
    const deadReason = outcome.unreadable ? `PROTOCOL: ${outcome.error.message}` : exhausted ? 'ATTEMPTS_EXHAUSTED' : '';
    if (deadReason) d.stats.deadLettered++;
    return finish(keys, env, inputText, d.build.error(keys, taken.token, env, entry.fingerprint, outcome.error, deadReason));
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
      body = await d.conn().getrangeBuffer(keys.input(env.id), 0, d.maxPayloadBytes);
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
    if (body.length > d.maxPayloadBytes) {
      const limit = d.maxPayloadBytes;
      return { error: new TaskwireError(ERROR_CODES.PAYLOAD_TOO_LARGE, `stored input of ${env.task} is over the worker's ${limit}-byte limit`, { data: { ...data, limit } }) };
    }
    return { text: body.toString('utf8') };
  }

  async function execute(keys: QueueKeys, taken: TakenCall, env: CallEnvelope, entry: TaskEntry): Promise<Outcome> {
    const input = await parseInput(entry, env, d.serializer);
    if (!('input' in input)) return input;
    const ctx = new CallContext(env, taken.deliveries);
    d.stats.started++;
    // One entry per running call: the lease keeper renews from it, cancellation and close abort through it.
    d.running.set(taken.token, { keys, ctx, deadline: env.deadline });
    try {
      const t0 = performance.now();
      const outcome = runHandler(entry, input.input, ctx, d.logger);
      // runHandler returned at the handler's first await (or its end): that much blocked the thread.
      d.budget.record(performance.now() - t0);
      return await outcome;
    } finally {
      ctx.dispose();
      d.running.delete(taken.token);
    }
  }

  return { handle };
}
