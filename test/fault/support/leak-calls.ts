import type { ReplyMode } from '../../../src/index.js';

/**
 * The calls of fault test 7 (leaks across 10,000 timeouts and aborts), and what its client
 * process (leak-client-process.ts) reports back. Shared by that process and leaks.test.ts.
 */

export interface LeakClientConfig {
  url: string;
  prefix: string;
  warmupCalls: number;
  calls: number;
  /** Calls issued per wave, and the pause between waves. */
  wave: number;
  wavePauseMs: number;
  /** Wait after the last call settled before measuring (late replies, withdrawals in flight). */
  quietMs: number;
}

export type CallKind = 'ok' | 'aborted' | 'timeout';

export interface CallPlan {
  kind: CallKind;
  input: { id: string; n: number; ms: number };
  timeoutMs: number;
  replyMode: ReplyMode;
  /**
   * For aborted calls: ms after the call is made (0: on the next turn of the event loop; -1: at
   * once, in the same tick, while the client still validates the input).
   */
  abortAfterMs?: number;
}

export const OK_TIMEOUT_MS = 10_000;

/**
 * Call n of a run: half succeed, a quarter are aborted (queued or running, by when the abort
 * comes), a quarter time out (queued or running, by how long their deadline is). Both reply
 * modes for every kind.
 */
export function callPlan(n: number, tag: string): CallPlan {
  const replyMode: ReplyMode = (n >> 2) % 2 ? 'pubsub' : 'key';
  const k = n >> 2;
  switch (n % 4) {
    case 2:
      return { kind: 'aborted', input: { id: `${tag}aborted-${n}`, n, ms: 300 }, timeoutMs: OK_TIMEOUT_MS, replyMode, abortAfterMs: [-1, 0, 20, 60, 120, 200][k % 6] ?? 0 };
    case 3:
      return { kind: 'timeout', input: { id: `${tag}timeout-${n}`, n, ms: 1_000 }, timeoutMs: [50, 150, 300, 500][k % 4] ?? 50, replyMode };
    default:
      return { kind: 'ok', input: { id: `${tag}ok-${n}`, n, ms: 0 }, timeoutMs: OK_TIMEOUT_MS, replyMode };
  }
}

export interface Measure {
  heapUsedBytes: number;
  /** `Timeout` entries of process.getActiveResourcesInfo(). */
  timers: number;
  pending: number;
}

export interface LeakClientOutcomes {
  type: 'outcomes';
  /** Heap right after the last call was issued, uncollected: garbage included. */
  peakHeapUsedBytes: number;
  /** 'abort' listeners left on the signal shared by every ok call, and on the per-call signals. */
  sharedSignalListeners: number;
  perCallSignalListeners: number;
  /** Input ids by outcome: `ok`, `wrong` (ok with another result), or the error code. */
  outcomes: Record<string, string[]>;
  /** Most ms a TIMEOUT came after the call's deadline, and a CANCELLED after its abort. */
  maxTimeoutLateMs: number;
  maxCancelLatencyMs: number;
  /** How late the client process's event loop ran during the calls (timers fire late by this). */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  runMs: number;
}

export interface LeakClientHeap {
  type: 'heap';
  baseline: Measure;
  /** After every call settled, with the report's own data dropped. */
  after: Measure;
}
