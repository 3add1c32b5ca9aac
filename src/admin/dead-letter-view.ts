import type { DeadLetter } from './dead-letters.js';
import { readableJson, type Json } from './readable-json.js';

/** A dead letter as plain JSON: what `taskwire dlq … --json` prints and the dashboard's API sends. */
export interface DeadLetterView {
  id: string;
  queue: string;
  /** The partition it was on, for a partitioned queue (docs/PARTITIONS.md). */
  partition: number | null;
  reason: string;
  detail: string | null;
  callId: string | null;
  task: string | null;
  attempt: number | null;
  /** When it was set aside, ms since epoch (Redis clock). */
  at: number;
  /** When its caller sent it, ms since epoch (caller's clock). */
  sentAt: number | null;
  headers: Record<string, string> | null;
  /** The decoded input, readable (readable-json.ts); null with `inputProblem` when it cannot be decoded. */
  input: Json | null;
  inputProblem: string | null;
  error: { code: string; message: string; defined: boolean; retryable: boolean | null; data: Json | null } | null;
}

export function deadLetterView(d: DeadLetter): DeadLetterView {
  return {
    id: d.id,
    queue: d.queue,
    partition: d.partition ?? null,
    reason: d.reason,
    detail: d.detail ?? null,
    callId: d.callId ?? null,
    task: d.task ?? null,
    attempt: d.attempt ?? null,
    at: d.at,
    sentAt: d.sentAt ?? null,
    headers: d.headers ? { ...d.headers } : null,
    input: d.inputProblem === undefined ? (readableJson(d.input) ?? null) : null,
    inputProblem: d.inputProblem ?? null,
    error: d.error
      ? {
          code: d.error.code,
          message: d.error.message,
          defined: d.error.defined,
          retryable: d.error.retryable ?? null,
          data: readableJson(d.error.data) ?? null,
        }
      : null,
  };
}
