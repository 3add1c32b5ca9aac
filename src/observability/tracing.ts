// taskwire/tracing: OpenTelemetry tracing over the interceptor, middleware and observer seams.
// Kept off the root export: only apps that import this subpath load @opentelemetry/api (an
// optional peer dependency), and taskwire itself runs without it installed.
import { context, ProxyTracerProvider, trace, type Context, type TracerProvider } from '@opentelemetry/api';
import type { ClientInterceptor } from '../client/interceptor.js';
import { ownPackage } from '../own-package.js';
import type { Middleware } from '../worker/middleware.js';
import type { WorkerObserver } from '../worker/worker-events.js';
import { callerSpans } from './caller-spans.js';
import { injectTraceContext } from './trace-context.js';
import { workerSpans } from './worker-spans.js';

export interface TracingOptions {
  /** Default: the globally registered one (`trace.setGlobalTracerProvider`, NodeSDK). */
  tracerProvider?: TracerProvider;
}

/** What to register: `interceptor` on clients, `middleware` and `observer` on workers. */
export interface Tracing {
  readonly interceptor: ClientInterceptor;
  readonly middleware: Middleware;
  readonly observer: WorkerObserver;
}

/**
 * Traces calls across processes (docs/OBSERVABILITY.md):
 * ```ts
 * const t = tracing();
 * createClient(contract, { redis, interceptors: [t.interceptor] });
 * createWorker(contract, handlers, { redis, middleware: [t.middleware], observers: [t.observer] });
 * ```
 * With no tracer provider registered, spans do not record and calls carry nothing new.
 */
export function tracing(options: TracingOptions = {}): Tracing {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer('taskwire', ownPackage().version);
  const worker = workerSpans(tracer);
  const active = options.tracerProvider ? undefined : globalProviderSet();
  if (!active) return { interceptor: callerSpans(tracer), middleware: worker.middleware, observer: worker.observer };
  // Dormant until a provider is registered: calls take the plain path (no hooks, no headers).
  return {
    interceptor: Object.assign(callerSpans(tracer), { active }),
    middleware: Object.assign(worker.middleware, { active }),
    observer: Object.assign(worker.observer, { active }),
  };
}

/**
 * Whether a global tracer provider is registered (the API's proxy has a delegate), read at most
 * once a second: a call asks it three times, and a provider registered later is seen within it.
 */
function globalProviderSet(): () => boolean {
  const proxy = trace.getTracerProvider();
  if (!(proxy instanceof ProxyTracerProvider)) return () => true;
  let known = false;
  let checkedAt = Number.NEGATIVE_INFINITY;
  return () => {
    if (known) return true;
    const now = Date.now();
    if (now - checkedAt >= 1_000) {
      checkedAt = now;
      known = proxy.getDelegateTracer('taskwire') !== undefined;
    }
    return known;
  };
}

/**
 * The trace context of `ctx` (default: the active one) as call headers, for what no interceptor
 * sees: a schedule's headers (`schedules.upsert(..., { headers: traceHeaders() })`, each tick
 * then links to this span), a call enqueued by hand.
 */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  injectTraceContext(ctx, headers);
  return headers;
}
