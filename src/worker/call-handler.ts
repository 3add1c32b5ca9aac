import { ERROR_CODES, isTaskwireError, TaskwireError } from '../errors.js';
import { bytesOver, decodeCall, encodeCall, encodeProgress, type CallEnvelope, type Decoded } from '../wire/envelope.js';
import { RUN_KEY, type QueueKeys } from '../wire/keys.js';
import type { Serializer } from '../wire/serializer.js';
import type { PayloadStore } from '../transport/payload-store.js';
import type { TakenCall } from '../transport/take-request.js';
import type { RunStore } from '../transport/run-store.js';
import type { Logger } from '../logger.js';
import { CallContext } from './call-context.js';
import type { ChildClients } from './child-calls.js';
import { boundDigest, digest, type Signer } from '../wire/signing.js';
import type { DeliveryClaims } from './delivery-claims.js';
import type { EventPublisher } from './event-publisher.js';
import type { FollowUps } from './follow-ups.js';
import { ProgressReporter } from './progress-reporter.js';
import { parseInput, retryDelay, runHandler, withRuns, type Outcome, type TaskEntry } from './runner.js';
import type { OkSettlement, settlements } from './settlements.js';
import type { Settler } from './settler.js';
import { loadStoredInput, readStoredInput } from './stored-input.js';
import type { TakeBudget } from './take-budget.js';
import { triage } from './triage.js';
import type { WorkerEvents } from './worker-events.js';

/** A call being run: what the lease keeper renews and cancellation and close abort. */
export interface Running {
  keys: QueueKeys;
  token: string;
  /** The taken batch whose lease covers the call (one lease per batch, take-11.lua). */
  batch: string;
  ctx: CallContext;
  deadline: number;
}

/** What handling a call needs from the worker around it (create-worker.ts). */
export interface CallHandlerDeps {
  entries: ReadonlyMap<string, TaskEntry>;
  events: WorkerEvents;
  build: ReturnType<typeof settlements>;
  serializer: Serializer;
  logger: Logger;
  /**
   * The calls running now. A Set of entries, not a map by lease token: tokens count per queue, so
   * two queues' calls may share one, and the rare lookups (a lost lease, a cancel) scan it.
   */
  running: Set<Running>;
  budget: TakeBudget;
  maxDeliveries: number;
  maxPayloadBytes: number;
  /** Detached calls' status and progress, on the command connection. */
  runs: () => RunStore;
  /** The concurrency slots a call of the queue holds (limits.ts), given back with its settle. */
  slotScopes: (queue: string, raw: string) => string;
  payloads: () => PayloadStore;
  settler: Settler;
  /** How long a detached call's status is kept when its envelope names no ttl. */
  resultTtlMs: number;
  /** What handlers make child calls with (ctx.client). */
  children: ChildClients;
  /** "<prefix>:reply:": a caller's reply channel is this and its id (progress reports). */
  channelPrefix: string;
  /** At most one progress report per call per this many ms. */
  progressIntervalMs: number;
  /** Enqueues the follow-ups a call names when it settles. */
  followUps: FollowUps;
  /** Completion events, for the tasks someone watches. */
  taskEvents: EventPublisher;
  /** Checks the calls it takes and signs the ones it writes (docs/SECURITY.md, *Signing*). */
  signer: Signer | undefined;
  /** With a signer: unsigned calls still run (a rollout: callers not signing yet). */
  acceptUnsigned: boolean;
  /** Replay claims of signed calls, batched per turn. */
  claims: DeliveryClaims;
}

/**
 * One taken call, from its raw envelope to its settlement: decode, triage (triage.ts), stored
 * input, run, and how it ends (reply, retry, dead letter), settled by the Settler. What happens
 * is told to the worker's events (stats and observers).
 */
export function callHandler(d: CallHandlerDeps): { handle(keys: QueueKeys, taken: TakenCall, free: () => void): Promise<unknown> } {
  const ev = d.events;

  /**
   * A call that failed its signature check, or a replay: set aside with the reason, and nobody
   * told (its reply target is as untrusted as the rest of it).
   */
  function refused(keys: QueueKeys, taken: TakenCall, reason: string): Promise<unknown> {
    d.logger.warn('taskwire: call refused', { queue: keys.queue, reason });
    ev.malformed(keys, reason);
    ev.deadLettered(keys, undefined, taken.deliveries, reason.slice(0, reason.indexOf(':')));
    const item = d.build.error(keys, taken, { id: '', reply: undefined }, undefined, new TaskwireError(ERROR_CODES.PROTOCOL, reason), reason);
    // Its stored input, if it names one, goes into the dead letter as it is.
    if (taken.raw.includes('"stored":1')) item.input = '-';
    return settle(keys, undefined, taken, item);
  }

  /** Garbage: set aside with the reason; the caller is told when the message still names one. */
  function malformed(keys: QueueKeys, taken: TakenCall, decoded: Extract<Decoded<CallEnvelope>, { ok: false }>): Promise<unknown> {
    d.logger.warn('taskwire: malformed message set aside', { queue: keys.queue, reason: decoded.reason });
    ev.malformed(keys, decoded.reason);
    ev.deadLettered(keys, undefined, taken.deliveries, 'PROTOCOL');
    const err = new TaskwireError(ERROR_CODES.PROTOCOL, `malformed call: ${decoded.reason}`);
    const item = d.build.error(keys, taken, { id: decoded.id ?? '', reply: decoded.reply }, undefined, err, `PROTOCOL: ${decoded.reason}`);
    // An input it says it stored has no reader left (it cannot be replayed either).
    if (decoded.id && taken.raw.includes('"stored":1')) item.input = '-';
    return settle(keys, undefined, taken, item);
  }

  /**
   * `free` gives the call's concurrency slot back. It is called as soon as the handler is done,
   * before the result's round trip to Redis: concurrency bounds running handlers, and holding a
   * slot through the settle round trip idled the worker (issue 5's profile: ~40% of a slot's cycle).
   */
  async function handle(keys: QueueKeys, taken: TakenCall, free: () => void): Promise<unknown> {
    ev.taken();
    // Checked before the text is parsed: a forged or tampered call never gets further.
    if (d.signer) {
      const verdict = d.signer.verifyCall(taken.raw);
      if (!verdict.ok && !(d.acceptUnsigned && verdict.reason === 'unsigned')) return refused(keys, taken, `SIGNATURE: ${verdict.reason}`);
    }
    const decoded = decodeCall(taken.raw);
    if (!decoded.ok) return malformed(keys, taken, decoded);
    const env = decoded.value;
    const entry = triage(d.build, d.entries, d.maxDeliveries, keys, taken, env);
    const detached = isDetached(env);
    if ('kind' in entry) {
      if (entry.kind === 'expired') ev.expired(keys, env, taken.deliveries);
      else ev.deadLettered(keys, env, taken.deliveries, entry.reason);
      // A detached call's outcome is kept for its followers: TIMEOUT, not silence.
      const item = detached && entry.kind === 'expired' ? d.build.error(keys, taken, env, undefined, timedOut(env)) : entry.item;
      // A catch follow-up gets the input as sent: a stored one is read for it.
      const storedText = env.catch && env.stored === 1 ? (await readStoredInput(d.payloads(), keys, env, d.maxPayloadBytes)).text : undefined;
      if (!(await failedFinally(env, taken, storedText, entry.kind === 'expired' ? timedOut(env) : entry.error))) return;
      return finish(keys, env, taken, undefined, item);
    }
    let inputText: string | undefined;
    if (env.stored === 1) {
      const read = await loadStoredInput(d.payloads(), keys, env, d.maxPayloadBytes);
      inputText = read.text;
      if (d.signer && read.text !== undefined && boundDigest(taken.raw, 'ih') !== digest(read.text) && !(d.acceptUnsigned && !taken.raw.includes(',"sig":"'))) {
        return refused(keys, taken, 'SIGNATURE: the stored input is not the one signed');
      }
      if (read.error) {
        const reason = read.error.code === ERROR_CODES.PAYLOAD_TOO_LARGE ? 'PAYLOAD_TOO_LARGE' : `PROTOCOL: ${read.error.message}`;
        ev.deadLettered(keys, env, taken.deliveries, reason);
        if (!(await failedFinally(env, taken, inputText, read.error))) return;
        return finish(keys, env, taken, inputText, d.build.error(keys, taken, env, entry.fingerprint, read.error, reason));
      }
    }
    // A signed call pushed again after it ran (a replay): the first delivery of each attempt
    // claims it; a redelivery (its lease expired) is the same delivery going on.
    if (d.signer && taken.deliveries === 1 && !(await d.claims.claim(keys, env.id, env.attempt, env.deadline))) {
      return refused(keys, taken, 'REPLAYED: this call ran already');
    }
    // Timed only for observers (succeeded's runMs): two clock reads per call otherwise for nothing.
    const t0 = ev.observed ? performance.now() : 0;
    const outcome = await execute(keys, taken, env, entry);
    const runMs = ev.observed ? performance.now() - t0 : 0;
    free();
    if (outcome.ok) {
      const settlement = d.build.ok(keys, taken, env, outcome.output, entry.fingerprint);
      const bytes = bytesOver(settlement.storedOutput?.text ?? settlement.payload, d.maxPayloadBytes);
      if (bytes === undefined) {
        // Enqueued before the call settles: a follow-up is never lost to a crash in between.
        if (env.then && !(await d.followUps.then(env, outcome.output))) return;
        // Counted once it reached Redis: a fenced result was not a success anyone saw.
        if ((await finish(keys, env, taken, inputText, settlement)) === 'settled') {
          ev.succeeded(keys, env, taken.deliveries, runMs);
          d.taskEvents.ok(env, outcome.output);
        }
        return;
      }
      // Answered, not dropped: the caller learns why instead of waiting for its deadline.
      d.logger.error(`taskwire: ${env.task} returned a result over maxPayloadBytes`, { callId: env.id, bytes, limit: d.maxPayloadBytes });
      const err = new TaskwireError(ERROR_CODES.PAYLOAD_TOO_LARGE, `result of ${env.task} is ${bytes} bytes, over the worker's ${d.maxPayloadBytes}-byte limit`, {
        data: { task: env.task, bytes, limit: d.maxPayloadBytes },
      });
      ev.failed(keys, env, taken.deliveries, err);
      if (!(await failedFinally(env, taken, inputText, err))) return;
      return finish(keys, env, taken, inputText, d.build.error(keys, taken, failedTo(env), entry.fingerprint, err));
    }
    ev.failed(keys, env, taken.deliveries, outcome.error);
    if (outcome.error.code === ERROR_CODES.CANCELLED) {
      if (detached) return finish(keys, env, taken, inputText, d.build.error(keys, taken, env, entry.fingerprint, outcome.error));
      // The canceller has its answer; callers that joined its idempotency key get CANCELLED, and the
      // key goes (the next call with it runs again instead of waiting for this one).
      if (env.idem !== undefined) return finish(keys, env, taken, inputText, d.build.error(keys, taken, { ...env, reply: undefined, idemTtl: FORGET_MS }, entry.fingerprint, outcome.error));
      return finish(keys, env, taken, inputText, d.build.silent(taken, env.id));
    }
    const policy = env.retry ?? entry.task.retry;
    if (outcome.retryable && policy && env.attempt < policy.attempts) {
      const delay = retryDelay(policy, env.attempt);
      if (Date.now() + delay < env.deadline) {
        ev.retried(keys, env, taken.deliveries, delay);
        if (detached) setRun(keys, env, { state: 'delayed', attempt: env.attempt + 1, at: Date.now() });
        // Re-read from the raw text, not `env`: the handler got env.input's objects without a copy
        // (see serializer.ts) and may have changed them.
        const again = decodeCall(taken.raw);
        const unsigned = encodeCall({ ...(again.ok ? again.value : env), attempt: env.attempt + 1 });
        const next = d.signer ? d.signer.signCall(unsigned, env.stored === 1 ? inputText : undefined) : unsigned;
        return finish(keys, env, taken, inputText, d.build.retry(taken, env.id, delay, next));
      }
    }
    // Dead-lettered for its attempts only when it used them all. A call whose retry could not
    // start before its deadline was answered (this error, or TIMEOUT at the caller) and nobody
    // waits for a replay: counting it dead would report failures where its time simply ran out.
    const exhausted = policy !== undefined && policy.attempts > 1 && outcome.retryable && env.attempt >= policy.attempts;
    const deadReason = outcome.unreadable ? `PROTOCOL: ${outcome.error.message}` : exhausted ? 'ATTEMPTS_EXHAUSTED' : '';
    if (deadReason) ev.deadLettered(keys, env, taken.deliveries, deadReason);
    const final = withRuns(outcome.error, env.attempt);
    if (!outcome.handedBack && !(await failedFinally(env, taken, inputText, final))) return;
    return finish(keys, env, taken, inputText, d.build.error(keys, taken, failedTo(env), entry.fingerprint, final, deadReason));
  }

  /**
   * A call failed for good (no retry left): its watchers are told, and its `catch` follow-up is
   * enqueued. False when that enqueue failed: settle nothing, the call comes back.
   */
  function failedFinally(env: CallEnvelope, taken: TakenCall, inputText: string | undefined, error: TaskwireError<string, unknown>): Promise<boolean> | boolean {
    d.taskEvents.failed(env, error);
    return env.catch ? d.followUps.catch(env, () => sentInput(taken, inputText), error) : true;
  }

  function settle(keys: QueueKeys, env: CallEnvelope | undefined, taken: TakenCall, item: OkSettlement): Promise<'settled' | 'fenced' | 'lost'> {
    // Every settle ends the lease, and with it any concurrency slot the call held.
    const scopes = d.slotScopes(keys.queue, taken.raw);
    if (scopes !== '') item.scopes = scopes;
    return d.settler.settle(keys, item, env, taken.deliveries);
  }

  /**
   * settle(), and a call's stored input goes with it (complete-4.lua): deleted, or kept in its
   * dead letter (read for that if it was not read yet); a retry leaves it for the next attempt.
   * Not async itself: calls with their input inline (nearly all) pay no extra promise.
   */
  function finish(keys: QueueKeys, env: CallEnvelope, taken: TakenCall, inputText: string | undefined, item: OkSettlement): Promise<'settled' | 'fenced' | 'lost'> {
    if (env.stored !== 1 || item.action === 'r') return settle(keys, env, taken, item);
    return (async () => {
      const text = item.deadReason === '' ? undefined : (inputText ?? (await readStoredInput(d.payloads(), keys, env, d.maxPayloadBytes)).text);
      item.input = text ?? '-';
      return settle(keys, env, taken, item);
    })();
  }

  async function execute(keys: QueueKeys, taken: TakenCall, env: CallEnvelope, entry: TaskEntry): Promise<Outcome> {
    const input = await parseInput(entry, env, d.serializer);
    if (!('input' in input)) return input;
    const ctx = new CallContext(env, taken.deliveries, d.children, progressOf(keys, env, entry));
    ev.started(keys, env, taken.deliveries);
    if (isDetached(env)) setRun(keys, env, { state: 'running', attempt: env.attempt, at: Date.now() });
    // One entry per running call: the lease keeper renews from it, cancellation and close abort through it.
    const at: Running = { keys, token: taken.token, batch: taken.batch, ctx, deadline: env.deadline };
    d.running.add(at);
    try {
      const t0 = performance.now();
      const outcome = runHandler(entry, input.input, ctx, d.logger);
      // runHandler returned at the handler's first await (or its end): that much blocked the thread.
      d.budget.record(performance.now() - t0);
      const result = await outcome;
      const cut = ctx.cutShort;
      if (cut === undefined || !isTaskwireError(cut)) return result;
      if (cut.code === ERROR_CODES.CLOSED) {
        if (!result.ok) result.handedBack = true;
        return result;
      }
      // A handler that ignored its signal and ended after its deadline or its cancel: the caller
      // was answered TIMEOUT or CANCELLED then, and that is the call's outcome everywhere (its
      // follow-ups, a detached call's result and status, events), not what the handler returned.
      if (cut.code === ERROR_CODES.TIMEOUT || cut.code === ERROR_CODES.CANCELLED) return { ok: false, error: cut, retryable: false };
      return result;
    } finally {
      ctx.dispose();
      d.running.delete(at);
    }
  }

  /** ctx.progress of a task that declares it; reports go to whoever listens (nobody: validated only). */
  function progressOf(keys: QueueKeys, env: CallEnvelope, entry: TaskEntry): ProgressReporter | undefined {
    const schema = entry.task.progress;
    if (schema === undefined) return undefined;
    // 1: the caller's reply channel; 2: the queue's own, on its shard (sharded pub/sub).
    const listener = env.progress !== undefined && env.reply ? env.reply.client : undefined;
    const channel = listener === undefined ? undefined : env.progress === 2 ? { name: keys.replyChannel(listener), sharded: true } : { name: `${d.channelPrefix}${listener}`, sharded: false };
    const detached = isDetached(env);
    const send = (serialized: unknown) => {
      if (channel === undefined && !detached) return;
      const run = detached ? { text: JSON.stringify(serialized), ttlMs: env.idemTtl ?? d.resultTtlMs } : undefined;
      d.runs()
        .progress(keys, env.id, channel, encodeProgress(env.id, serialized), run)
        .catch(() => undefined);
    };
    return new ProgressReporter(env.task, schema, d.serializer, d.progressIntervalMs, send);
  }

  /** A detached call's status, for whoever follows it (best effort: its outcome is what counts). */
  function setRun(keys: QueueKeys, env: CallEnvelope, fields: Record<string, string | number>): void {
    d.runs()
      .setRun(keys, env.id, fields, env.idemTtl ?? d.resultTtlMs)
      .catch(() => undefined);
  }

  return { handle };
}

/** 1 ms: an idempotency key settled with it is gone at once (its waiters still get the outcome). */
const FORGET_MS = 1;

/**
 * Who a final failure goes to. A child call's (ctx.client, key child:...) key is not kept with
 * a failure: the parent's next attempt runs that child again, and reuses only what succeeded.
 */
function failedTo(env: CallEnvelope): CallEnvelope {
  return env.idem !== undefined && env.idem.startsWith('child:') ? { ...env, idemTtl: FORGET_MS } : env;
}

/** Sent with `send()`: no reply target, its outcome kept under the idempotency key run:<id> (client/detached.ts). */
function isDetached(env: CallEnvelope): boolean {
  return env.reply === undefined && env.idem !== undefined && env.idem.startsWith(RUN_KEY);
}

/**
 * A call's serialized input as its caller sent it, read again from the raw envelope (the handler
 * got the parsed objects and may have changed them), or the text of its stored input.
 */
function sentInput(taken: TakenCall, storedText: string | undefined): unknown {
  try {
    if (storedText !== undefined) return JSON.parse(storedText);
    return (JSON.parse(taken.raw) as { input?: unknown }).input;
  } catch {
    return undefined;
  }
}

function timedOut(env: CallEnvelope): TaskwireError<string, unknown> {
  return new TaskwireError(ERROR_CODES.TIMEOUT, `${env.task} passed its deadline before it ran`, { data: { task: env.task } });
}
