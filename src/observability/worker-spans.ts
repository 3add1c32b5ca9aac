import { context, ROOT_CONTEXT, SpanKind, trace, type Link, type Span, type Tracer } from '@opentelemetry/api';
import type { TaskwireError } from '../errors.js';
import type { Middleware } from '../worker/middleware.js';
import type { WorkerCall, WorkerObserver } from '../worker/worker-events.js';
import { isScheduleTick } from '../wire/schedule-record.js';
import { ATTR, endWith, EVENT, messagingAttributes } from './span-attributes.js';
import { extractSpanContext, injectTraceContext } from './trace-context.js';

interface Open {
  span: Span;
  deadline: number;
  /** A failure ends it at the next microtask: retried and deadLettered come in the same turn. */
  ending: boolean;
}

/** A span left open by a settle that never came back (the call is redelivered) is ended this long after its deadline. */
const ABANDONED_AFTER_MS = 60_000;
/** How many spans start between two looks for abandoned ones. */
const SWEEP_EVERY = 256;

function keyOf(callId: string, attempt: number, deliveries: number): string {
  return `${callId}\n${attempt}\n${deliveries}`;
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
  const open = new Map<string, Open>();
  let starts = 0;

  function start(call: WorkerCall): Span {
    const remote = extractSpanContext(call.headers);
    const tick = isScheduleTick(call.callId);
    const links: Link[] = tick && remote ? [{ context: remote }] : [];
    const parent = remote && !tick ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
    return tracer.startSpan(
      `process ${call.task}`,
      {
        kind: SpanKind.CONSUMER,
        root: tick,
        links,
        attributes: { ...messagingAttributes('process', call.queue, call.callId, call.task), [ATTR.attempt]: call.attempt, [ATTR.deliveries]: call.deliveries },
      },
      parent,
    );
  }

  /** The call's open span, or one made now for what happened to a call that never ran. */
  function spanOf(call: WorkerCall): Open | undefined {
    const o = open.get(keyOf(call.callId, call.attempt, call.deliveries));
    if (o) return o;
    const span = start(call);
    return span.isRecording() ? { span, deadline: call.deadline, ending: false } : undefined;
  }

  function end(call: WorkerCall, o: Open, error: TaskwireError<string, unknown> | undefined): void {
    open.delete(keyOf(call.callId, call.attempt, call.deliveries));
    endWith(o.span, error);
  }

  function sweep(): void {
    const now = Date.now();
    for (const [key, o] of open) {
      if (now <= o.deadline + ABANDONED_AFTER_MS) continue;
      open.delete(key);
      o.span.setAttribute(ATTR.outcome, 'ABANDONED');
      o.span.end();
    }
  }

  const observer: WorkerObserver = {
    started(call) {
      const span = start(call);
      if (!span.isRecording()) return;
      if (++starts % SWEEP_EVERY === 0) sweep();
      open.set(keyOf(call.callId, call.attempt, call.deliveries), { span, deadline: call.deadline, ending: false });
    },
    succeeded(call) {
      const o = open.get(keyOf(call.callId, call.attempt, call.deliveries));
      if (o) end(call, o, undefined);
    },
    failed(call, error) {
      const o = spanOf(call);
      if (!o || o.ending) return;
      o.ending = true;
      open.set(keyOf(call.callId, call.attempt, call.deliveries), o);
      queueMicrotask(() => end(call, o, error));
    },
    retried(call, delayMs) {
      spanOf(call)?.span.addEvent(EVENT.retry, { [ATTR.retryDelayMs]: delayMs, [ATTR.attempt]: call.attempt + 1 });
    },
    deadLettered(call, reason) {
      const o = spanOf(call);
      if (!o) return;
      o.span.addEvent(EVENT.deadLetter, { [ATTR.deadLetterReason]: reason });
      // Set aside before it ran (no such task, too many deliveries): its span is this event.
      if (!o.ending) {
        open.delete(keyOf(call.callId, call.attempt, call.deliveries));
        o.span.setAttribute(ATTR.outcome, reason.split(':')[0] ?? reason);
        o.span.end();
      }
    },
    expired(call) {
      const o = spanOf(call);
      if (!o) return;
      o.span.setAttribute(ATTR.outcome, 'TIMEOUT');
      o.span.end();
    },
    fenced(call) {
      const o = open.get(keyOf(call.callId, call.attempt, call.deliveries));
      if (!o || o.ending) return;
      o.span.addEvent(EVENT.fenced);
      open.delete(keyOf(call.callId, call.attempt, call.deliveries));
      o.span.setAttribute(ATTR.outcome, 'FENCED');
      o.span.end();
    },
  };

  const middleware: Middleware = (ctx, _input, next) => {
    const o = open.get(keyOf(ctx.callId, ctx.attempt, ctx.deliveries));
    if (o === undefined) return next();
    const active = trace.setSpan(context.active(), o.span);
    const headers = { ...ctx.headers };
    injectTraceContext(active, headers);
    return context.with(active, () => next(undefined, { headers }));
  };

  return { middleware, observer };
}
