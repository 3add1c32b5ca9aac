import type { ClientInterceptor } from '../client/interceptor.js';
import type { WorkerObserver } from '../worker/worker-events.js';
import { Deliveries } from './deliveries.js';

/** The labels every call metric carries: low-cardinality by construction (no call ids, no inputs). */
export interface CallLabels {
  /** Dotted task path. */
  readonly task: string;
  readonly queue: string;
}

/**
 * Where taskwire's call metrics go: implement what you need (a StatsD client, OTel metrics), or
 * use the prom-client adapter (`prometheusMetrics()` from `taskwire/prometheus`). `outcome` is
 * `ok` or the error code the call ended with (TIMEOUT, INTERNAL, a declared code ...).
 * Synchronous, called on the call path: keep them cheap.
 */
export interface MetricsHooks {
  /** A caller sent a call (after validation): in flight at the caller until callSettled. */
  callStarted?(call: CallLabels): void;
  /** The caller got its outcome, `latencyMs` after callStarted (end to end: queue, run, reply). */
  callSettled?(call: CallLabels, outcome: string, latencyMs: number): void;
  /** A worker starts the handler, `waitMs` after the caller sent the call (caller's clock; a delayed call's wait includes its delay). */
  runStarted?(call: CallLabels, waitMs: number): void;
  /** The handler run ended (after runStarted): `FENCED` when its result was dropped for a lost lease. */
  runEnded?(call: CallLabels, outcome: string, runMs: number): void;
  /** A call a worker took ended without running: its deadline had passed (TIMEOUT), or its input was unreadable. */
  skipped?(call: CallLabels, outcome: string): void;
  /** A failed attempt's next one was scheduled after `delayMs`. */
  retried?(call: CallLabels, delayMs: number): void;
  /** A call was set aside on the dead-letter stream; `reason` is the code part (ATTEMPTS_EXHAUSTED, MAX_DELIVERIES, UNKNOWN_TASK ...). */
  deadLettered?(call: CallLabels, reason: string): void;
}

/** What to register: `interceptor` on clients, `observer` on workers. */
export interface Metrics {
  readonly interceptor: ClientInterceptor;
  readonly observer: WorkerObserver;
}

/**
 * Call metrics over the interceptor and observer seams (docs/OBSERVABILITY.md):
 * ```ts
 * const m = metrics(prometheusMetrics());
 * createClient(contract, { redis, interceptors: [m.interceptor] });
 * createWorker(contract, handlers, { redis, observers: [m.observer] });
 * ```
 */
export function metrics(hooks: MetricsHooks): Metrics {
  return { interceptor: clientMetrics(hooks), observer: workerMetrics(hooks) };
}

function clientMetrics(h: MetricsHooks): ClientInterceptor {
  // By call id: a delayed call's prepare gets a copy of the object settled gets.
  const started = new Map<string, { labels: CallLabels; t0: number }>();
  return {
    prepare(call) {
      const labels = { task: call.task, queue: call.queue };
      started.set(call.id, { labels, t0: performance.now() });
      h.callStarted?.(labels);
    },
    settled(call, outcome) {
      const s = started.get(call.id);
      // An earlier interceptor refused the call before this one prepared it.
      if (s === undefined) return;
      started.delete(call.id);
      h.callSettled?.(s.labels, outcome.ok ? 'ok' : outcome.error.code, performance.now() - s.t0);
    },
  };
}

function workerMetrics(h: MetricsHooks): WorkerObserver {
  const running = new Deliveries<{ labels: CallLabels; t0: number }>((r) => h.runEnded?.(r.labels, 'ABANDONED', performance.now() - r.t0));
  const labelsOf = (call: { task: string; queue: string }): CallLabels => ({ task: call.task, queue: call.queue });
  return {
    started(call) {
      const labels = labelsOf(call);
      running.set(call, { labels, t0: performance.now() });
      h.runStarted?.(labels, Math.max(0, Date.now() - call.sentAt));
    },
    succeeded(call, runMs) {
      const r = running.take(call);
      if (r) h.runEnded?.(r.labels, 'ok', runMs);
    },
    failed(call, error) {
      const r = running.take(call);
      if (r) h.runEnded?.(r.labels, error.code, performance.now() - r.t0);
      else h.skipped?.(labelsOf(call), error.code);
    },
    expired(call) {
      h.skipped?.(labelsOf(call), 'TIMEOUT');
    },
    fenced(call) {
      const r = running.take(call);
      if (r) h.runEnded?.(r.labels, 'FENCED', performance.now() - r.t0);
    },
    retried(call, delayMs) {
      h.retried?.(labelsOf(call), delayMs);
    },
    deadLettered(call, reason) {
      h.deadLettered?.(labelsOf(call), reason.split(':')[0] ?? reason);
    },
  };
}
