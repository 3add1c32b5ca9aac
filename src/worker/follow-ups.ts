import type { TaskwireError } from '../errors.js';
import type { Logger } from '../logger.js';
import { bytesOver, encodeCall, type CallEnvelope, type FollowUpStep } from '../wire/envelope.js';
import { RUN_KEY, type QueueKeys } from '../wire/keys.js';
import { DEFAULTS } from '../wire/protocol.js';
import type { Serializer } from '../wire/serializer.js';
import { redisErrorCode } from '../transport/connection.js';
import type { QueueStore } from '../transport/queue-store.js';

export interface FollowUpsDeps {
  queues: () => QueueStore;
  keysOf: (queue: string) => QueueKeys;
  serializer: Serializer;
  logger: Logger;
  maxPayloadBytes: number;
  /** Signs the follow-ups it enqueues (docs/SECURITY.md, *Signing*). */
  sign?: (raw: string) => string;
}

/**
 * Enqueues the follow-ups a call names (envelope `then`, `catch`; docs/WORKFLOWS.md) when the call
 * settles. A follow-up is a detached call of id `<call id>.then` / `.catch`, so it runs once
 * however often it is enqueued (its key run:<id>, and the enqueue's sent marker): the worker
 * enqueues it before it settles the call, and a worker that dies between the two runs the
 * call again and enqueues nothing new. Its queue may live on another Cluster shard, so it is
 * its own write, never part of the call's settle script.
 */
export class FollowUps {
  readonly #d: FollowUpsDeps;

  constructor(deps: FollowUpsDeps) {
    this.#d = deps;
  }

  /** `then` of a call that succeeded with `output`. False: Redis did not take it (settle nothing; the call comes back). */
  then(env: CallEnvelope, output: unknown): Promise<boolean> {
    return this.#enqueue(env, 'then', () => output);
  }

  /**
   * `catch` of a call that finally failed. `input` is the call's serialized input (its envelope's,
   * or the text of a stored one); the follow-up gets it deserialized, as the caller sent it.
   */
  catch(env: CallEnvelope, input: () => unknown, error: TaskwireError<string, unknown>): Promise<boolean> {
    return this.#enqueue(env, 'catch', () => {
      const json = error.toJSON();
      const serialized = input();
      return {
        callId: env.id,
        task: env.task,
        input: serialized === undefined ? undefined : this.#d.serializer.deserialize(serialized),
        error: { code: json.code, message: json.message, ...(error.data === undefined ? {} : { data: error.data }) },
      };
    });
  }

  async #enqueue(env: CallEnvelope, kind: 'then' | 'catch', value: () => unknown): Promise<boolean> {
    const step: FollowUpStep | undefined = env[kind];
    if (step === undefined) return true;
    const d = this.#d;
    const id = `${env.id}.${kind}`;
    let raw: string;
    try {
      const now = Date.now();
      raw = encodeCall({
        id,
        task: step.task,
        input: d.serializer.serialize(value()),
        deadline: now + step.timeout,
        attempt: 1,
        headers: env.headers,
        fp: step.fp,
        sentAt: now,
        idem: `${RUN_KEY}${id}`,
        idemTtl: step.ttl,
        then: step.then,
        catch: step.catch,
      });
    } catch (err) {
      // What cannot be encoded now never can be: said, and the call settles without it.
      d.logger.error(`taskwire: follow-up ${step.task} of ${env.task} cannot be encoded; it will not run`, { callId: env.id, error: String(err) });
      return true;
    }
    if (d.sign) raw = d.sign(raw);
    const bytes = bytesOver(raw, d.maxPayloadBytes);
    if (bytes !== undefined) {
      d.logger.error(`taskwire: follow-up ${step.task} of ${env.task} is ${bytes} bytes, over maxPayloadBytes; it will not run`, { callId: env.id });
      return true;
    }
    const keys = d.keysOf(step.queue);
    try {
      await d.queues().enqueue(keys, {
        raw,
        // A follow-up waits for its workers, as a scheduled call does: nobody is there to tell.
        workerTtlMs: 0,
        callId: id,
        idem: keys.runIdempotency(id),
        idemTtlMs: step.ttl,
        replySpec: '-',
        replyTtlMs: DEFAULTS.replyTtlMs,
        inboxTtlMs: DEFAULTS.inboxTtlMs,
        sentTtlMs: step.timeout,
        inputHash: '',
        statusKey: keys.run(id),
      });
      return true;
    } catch (err) {
      // A refusal that no retry will change (an ACL without the follow-up's queue): said, and the call settles.
      const code = redisErrorCode(err);
      if (code === 'NOPERM' || code === 'WRONGTYPE') {
        d.logger.error(`taskwire: follow-up ${step.task} of ${env.task} was refused by Redis; it will not run`, { callId: env.id, error: String(err) });
        return true;
      }
      d.logger.warn(`taskwire: follow-up ${step.task} of ${env.task} could not be enqueued; the call runs again when its lease expires`, {
        callId: env.id,
        error: String(err),
      });
      return false;
    }
  }
}
