import { ERROR_CODES, TaskwireError } from '../errors.js';
import type { z } from 'zod';
import { outputNeedsCheck } from '../contract/compatibility.js';
import { issuesText, parseSync } from '../contract/parse.js';
import { decodeReplyOrProgress, replyError, type ProgressMessage, type ReplyEnvelope } from '../wire/envelope.js';
import type { QueueKeys } from '../wire/keys.js';
import { hasProtoKey, PROTO_KEY_REASON } from '../wire/proto-keys.js';
import { boundDigest, digest, type Signer } from '../wire/signing.js';
import type { Serializer } from '../wire/serializer.js';
import type { PendingCall, PendingCalls } from './pending-calls.js';
import type { StoredPayloads } from './stored-payloads.js';

/**
 * Turns replies (from the inbox, the reconnect sweep or pub/sub) into outcomes: decode, read a
 * stored result, deserialize, re-check output from a worker with another contract version, and
 * settle the pending call exactly once.
 */
export class ReplySettler {
  readonly #pending: PendingCalls;
  readonly #serializer: Serializer;
  readonly #stored: StoredPayloads;

  readonly #signer: Signer | undefined;
  readonly #acceptUnsigned: boolean;
  readonly #onForged: (reason: string) => void;

  constructor(pending: PendingCalls, serializer: Serializer, stored: StoredPayloads, signing?: { signer: Signer; acceptUnsigned: boolean; onForged: (reason: string) => void }) {
    this.#pending = pending;
    this.#serializer = serializer;
    this.#stored = stored;
    this.#signer = signing?.signer;
    this.#acceptUnsigned = signing?.acceptUnsigned ?? false;
    this.#onForged = signing?.onForged ?? (() => undefined);
  }

  /**
   * `keys`: the queue the reply came through, when known (inboxes are per queue, the pub/sub
   * channel is not): a stored result whose caller has gone is then deleted at once rather than
   * left to its TTL (a burst of timed-out 1 MB results would otherwise stay for replyTtlMs).
   */
  onReply(raw: string, keys?: QueueKeys): void {
    const decoded = decodeReplyOrProgress(raw);
    if (!decoded.ok) return;
    if ('progress' in decoded) return this.#progress(decoded.progress);
    const reply = decoded.value;
    // A reply that fails its signature is nobody's result: dropped (the call goes on waiting for
    // the real one, or its deadline), and said.
    if (this.#signer) {
      const verdict = this.#signer.verifyReply(raw);
      if (!verdict.ok && !(this.#acceptUnsigned && verdict.reason === 'unsigned')) return this.#onForged(`reply to ${reply.id}: ${verdict.reason}`);
    }
    const call = this.#pending.get(reply.id);
    if (!call) {
      // Settled already (timeout, cancel) or a duplicate: exactly one outcome. A second notice of
      // a result already read finds its key gone; deleting it again is harmless.
      if (keys && reply.ok && reply.stored !== undefined) this.#stored.dropOutput(keys, reply.id, reply.stored);
      return;
    }
    if (reply.ok && reply.stored !== undefined) return this.#readStoredOutput(call, reply, reply.stored, this.#signer ? boundDigest(raw, 'oh') ?? '' : undefined);
    this.#settle(call, reply, reply.ok ? reply.output : undefined);
  }

  /** A progress report (envelope.ts ProgressMessage) for a call that asked; anything else is not ours to understand. */
  #progress(report: ProgressMessage): void {
    const call = this.#pending.get(report.id);
    if (!call?.onProgress) return;
    let value: unknown;
    try {
      value = this.#serializer.deserialize(report.progress);
    } catch {
      return;
    }
    try {
      call.onProgress(value);
    } catch {
      // The caller's callback: its failure is not the call's.
    }
  }

  /**
   * A large result is at its own key (stored-payloads.ts). A second notice of the same reply
   * (inbox and reconnect sweep) is ignored while the first is being read.
   */
  #readStoredOutput(call: PendingCall, reply: ReplyEnvelope, token: string, signedDigest: string | undefined): void {
    if (call.readingOutput) return;
    call.readingOutput = true;
    this.#stored.readOutput(call.keys, call.id, token).then(
      (text) => {
        if (!this.#pending.get(call.id)) return;
        if (text === null) {
          this.#pending.reject(
            call.id,
            new TaskwireError(ERROR_CODES.PROTOCOL, `the stored result of ${call.route.path} is gone (expired or deleted)`, { data: { task: call.route.path } }),
          );
          return;
        }
        if (signedDigest !== undefined && signedDigest !== digest(text) && !this.#acceptUnsigned) {
          this.#onForged(`stored result of ${call.id}: not the one signed`);
          call.readingOutput = false;
          return;
        }
        let output: unknown;
        try {
          output = JSON.parse(text);
          if (hasProtoKey(text, output)) throw new Error(PROTO_KEY_REASON);
        } catch (err) {
          this.#undecodable(call, err);
          return;
        }
        this.#settle(call, reply, output);
      },
      (err: unknown) => {
        this.#pending.reject(
          call.id,
          new TaskwireError(ERROR_CODES.CONNECTION, `could not read the stored result of ${call.route.path}: ${(err as Error).message}`, {
            cause: err,
            data: { task: call.route.path },
          }),
        );
      },
    );
  }

  /** `serialized`: the reply's output as sent (read from its key for a stored one). */
  #settle(call: PendingCall, reply: ReplyEnvelope, serialized: unknown): void {
    let output: unknown;
    try {
      if (!reply.ok) {
        this.#pending.reject(reply.id, replyError(reply, (d) => this.#serializer.deserialize(d)));
        return;
      }
      output = this.#serializer.deserialize(serialized);
    } catch (err) {
      this.#undecodable(call, err);
      return;
    }
    // Same fingerprint: the worker already checked output against this very schema.
    const schema = call.route.output;
    if (!schema || !outputNeedsCheck(call.route.fingerprint, reply.fp)) {
      this.#pending.resolve(reply.id, output);
      return;
    }
    const parsed = parseSync(schema, output);
    if (parsed) this.#checkedOutput(call, output, parsed, reply.fp);
    else schema.safeParseAsync(output).then((p) => this.#checkedOutput(call, output, p, reply.fp), (err: unknown) => this.#undecodable(call, err));
  }

  /** The result of a worker with another contract version, checked against this client's (and passed on as sent). */
  #checkedOutput(call: PendingCall, output: unknown, parsed: z.ZodSafeParseResult<unknown>, workerFingerprint: string | undefined): void {
    if (parsed.success) {
      this.#pending.resolve(call.id, output);
      return;
    }
    const path = call.route.path;
    this.#pending.reject(
      call.id,
      new TaskwireError(
        ERROR_CODES.CONTRACT_MISMATCH,
        `result of ${path} does not match this client's contract (worker's contract differs): ${issuesText(parsed.error)}`,
        { data: { task: path, issues: parsed.error.issues, clientFingerprint: call.route.fingerprint, workerFingerprint } },
      ),
    );
  }

  #undecodable(call: PendingCall, err: unknown): void {
    this.#pending.reject(
      call.id,
      new TaskwireError(ERROR_CODES.PROTOCOL, `reply of ${call.route.path} could not be decoded: ${(err as Error).message}`, { cause: err }),
    );
  }
}
