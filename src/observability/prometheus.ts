// taskwire/prometheus: call metrics into a prom-client registry. Kept off the root export: only
// apps that import this subpath load prom-client (an optional peer dependency).
import { Counter, Gauge, Histogram, register as defaultRegistry, type Metric, type Registry } from 'prom-client';
import type { MetricsHooks } from './metrics.js';

export interface PrometheusMetricsOptions {
  /** Default: prom-client's global registry. */
  registry?: Registry;
  /** Histogram buckets in seconds, for latency, queue wait and run time. */
  buckets?: readonly number[];
}

/** From 1 ms (a call on a quiet local Redis takes ~0.4 ms) to a minute. */
const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * MetricsHooks that record into prom-client (metric names: docs/OBSERVABILITY.md). Asking twice
 * for the same registry reuses its metrics, so a process with a client and a worker may call it
 * for each.
 */
export function prometheusMetrics(options: PrometheusMetricsOptions = {}): MetricsHooks {
  const registry = options.registry ?? defaultRegistry;
  const buckets = [...(options.buckets ?? DEFAULT_BUCKETS)];
  const registers = [registry];
  function once<M extends Metric>(name: string, make: () => M): M {
    return (registry.getSingleMetric(name) as M | undefined) ?? make();
  }
  const counter = (name: string, help: string, labelNames: string[]) => once(name, () => new Counter({ name, help, labelNames, registers }));
  const gauge = (name: string, help: string, labelNames: string[]) => once(name, () => new Gauge({ name, help, labelNames, registers }));
  const histogram = (name: string, help: string, labelNames: string[]) => once(name, () => new Histogram({ name, help, labelNames, buckets, registers }));

  const calls = counter('taskwire_client_calls_total', 'Calls that got their outcome at the caller, by task and outcome (ok or the error code).', ['task', 'queue', 'outcome']);
  const latency = histogram('taskwire_client_call_duration_seconds', 'End-to-end latency of calls at the caller: send, queue, run, reply.', ['task', 'queue', 'outcome']);
  const inFlight = gauge('taskwire_client_calls_in_flight', 'Calls sent and not settled yet, at the caller.', ['task', 'queue']);
  const runs = counter('taskwire_worker_calls_total', 'Calls a worker ended, run or not, by task and outcome (ok, the error code, FENCED).', ['task', 'queue', 'outcome']);
  const wait = histogram('taskwire_worker_queue_wait_seconds', 'From when the caller sent a call to when a worker started it.', ['task', 'queue']);
  const runTime = histogram('taskwire_worker_run_duration_seconds', 'Handler run time, by outcome.', ['task', 'queue', 'outcome']);
  const running = gauge('taskwire_worker_calls_in_flight', 'Handlers running now.', ['task', 'queue']);
  const retries = counter('taskwire_worker_retries_total', 'Failed attempts whose next one was scheduled.', ['task', 'queue']);
  const dead = counter('taskwire_worker_dead_letters_total', 'Calls set aside on the dead-letter stream, by reason.', ['task', 'queue', 'reason']);

  // Label children cached by their values: prom-client hashes a label object on every call
  // (sorting its keys), which was most of what the metrics cost a call.
  const cached = <C>(of: (...values: string[]) => C) => {
    const children = new Map<string, C>();
    return (...values: string[]): C => {
      const key = values.join('\n');
      let child = children.get(key);
      if (!child) children.set(key, (child = of(...values)));
      return child;
    };
  };
  const callsOf = cached((t, q, o) => calls.labels(t ?? '', q ?? '', o ?? ''));
  const latencyOf = cached((t, q, o) => latency.labels(t ?? '', q ?? '', o ?? ''));
  const inFlightOf = cached((t, q) => inFlight.labels(t ?? '', q ?? ''));
  const runsOf = cached((t, q, o) => runs.labels(t ?? '', q ?? '', o ?? ''));
  const waitOf = cached((t, q) => wait.labels(t ?? '', q ?? ''));
  const runTimeOf = cached((t, q, o) => runTime.labels(t ?? '', q ?? '', o ?? ''));
  const runningOf = cached((t, q) => running.labels(t ?? '', q ?? ''));

  return {
    callStarted: (c) => inFlightOf(c.task, c.queue).inc(),
    callSettled: (c, outcome, ms) => {
      inFlightOf(c.task, c.queue).dec();
      callsOf(c.task, c.queue, outcome).inc();
      latencyOf(c.task, c.queue, outcome).observe(ms / 1000);
    },
    runStarted: (c, waitMs) => {
      runningOf(c.task, c.queue).inc();
      waitOf(c.task, c.queue).observe(waitMs / 1000);
    },
    runEnded: (c, outcome, ms) => {
      runningOf(c.task, c.queue).dec();
      runsOf(c.task, c.queue, outcome).inc();
      runTimeOf(c.task, c.queue, outcome).observe(ms / 1000);
    },
    skipped: (c, outcome) => runsOf(c.task, c.queue, outcome).inc(),
    retried: (c) => retries.inc({ task: c.task, queue: c.queue }),
    deadLettered: (c, reason) => dead.inc({ task: c.task, queue: c.queue, reason }),
  };
}
