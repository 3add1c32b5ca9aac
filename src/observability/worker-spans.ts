import { context, ROOT_CONTEXT, SpanKind, trace, type Link, type Span, type Tracer } from '@opentelemetry/api';
import type { TaskwireError } from '../errors.js';
import type { Middleware } from '../worker/middleware.js';
import type { WorkerCall, WorkerObserver } from '../worker/worker-events.js';
import { isScheduleTick } from '../wire/schedule-record.js';
import { Deliveries } from './deliveries.js';
import { ATTR, endWith, EVENT, messagingAttributes } from './span-attributes.js';
import { extractSpanContext, injectTraceContext } from './trace-context.js';

interface Open {
  span: Span;
  /** A failure ends it at the next microtask: retried and deadLettered come in the same turn. */
  ending: boolean;
}

/**
 * The worker's side of tracing: a CONSUMER span per delivery of a call, a child of the caller's
 * span through the call's headers. The observer owns its life (it knows the queue, and every
 * outcome: retries and dead letters become events); the middleware makes it the active span
 * around the handler and hands the handler's child calls its trace context in their headers.
 *
 * A schedule's tick starts a trace of its own, linked to the context the schedule's headers
 * carry: one long-lived schedule does not grow one endless trace (bullmq#2942).
 */
export function workerSpans(tracer: Tracer): { middleware: Middleware; observer: WorkerObserver } {
  const open = new Deliveries<Open>((o) => {
    o.span.setAttribute(ATTR.outcome, 'ABANDONED');
    o.span.end();
  });

  function start(call: WorkerCall): Span {
    const remote = extractSpanContext(call.headers);
    const tick = isScheduleTick(call.callId);
    const links: Link[] = tick && remote ? [{ context: remote }] : [];
    const parent = remote && !tick ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
    const span = tracer.startSpan(`process ${call.task}`, { kind: SpanKind.CONSUMER, root: tick, links, attributes: messagingAttributes('process', call.queue, call.callId, call.task) }, parent);
    if (span.isRecording()) {
      span.setAttribute(ATTR.attempt, call.attempt).setAttribute(ATTR.deliveries, call.deliveries);
      if (call.partition !== undefined) span.setAttribute(ATTR.partition, String(call.partition));
    }
    return span;
  }

  /** The call's open span, or one made now for what happened to a call that never ran. */
  function spanOf(call: WorkerCall): Open | undefined {
    const o = open.get(call);
    if (o) return o;
    const span = start(call);
    return span.isRecording() ? { span, ending: false } : undefined;
  }

  /** Ends a span with an outcome that is not an error of the call's (set aside, expired, fenced). */
  function endAs(call: WorkerCall, o: Open, outcome: string): void {
    open.take(call);
    o.span.setAttribute(ATTR.outcome, outcome);
    o.span.end();
  }

  const observer: WorkerObserver = {
    started(call) {
      const span = start(call);
      if (span.isRecording()) open.set(call, { span, ending: false });
    },
    succeeded(call) {
      const o = open.take(call);
      if (o) endWith(o.span, undefined);
    },
    failed(call, error: TaskwireError<string, unknown>) {
      const o = spanOf(call);
      if (!o || o.ending) return;
      o.ending = true;
      open.set(call, o);
      queueMicrotask(() => {
        open.take(call);
        endWith(o.span, error);
      });
    },
    retried(call, delayMs) {
      spanOf(call)?.span.addEvent(EVENT.retry, { [ATTR.retryDelayMs]: delayMs, [ATTR.attempt]: call.attempt + 1 });
    },
    deadLettered(call, reason) {
      const o = spanOf(call);
      if (!o) return;
      o.span.addEvent(EVENT.deadLetter, { [ATTR.deadLetterReason]: reason });
      // Set aside before it ran (no such task, too many deliveries): its span is this event.
      if (!o.ending) endAs(call, o, reason.split(':')[0] ?? reason);
    },
    expired(call) {
      const o = spanOf(call);
      if (o) endAs(call, o, 'TIMEOUT');
    },
    fenced(call) {
      const o = open.get(call);
      if (!o || o.ending) return;
      o.span.addEvent(EVENT.fenced);
      endAs(call, o, 'FENCED');
    },
  };

  const middleware: Middleware = (ctx, _input, next) => {
    const o = open.get(ctx);
    if (o === undefined) return next();
    const active = trace.setSpan(context.active(), o.span);
    const headers = { ...ctx.headers };
    injectTraceContext(active, headers);
    return context.with(active, () => next(undefined, { headers }));
  };

  return { middleware, observer };
}
