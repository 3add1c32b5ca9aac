import { context, SpanKind, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { ClientInterceptor } from '../client/interceptor.js';
import { endWith, EVENT, messagingAttributes } from './span-attributes.js';
import { extractSpanContext, injectTraceContext } from './trace-context.js';

/**
 * Where a call's span hangs: under the active span when the app has a context manager and one
 * is active (a request handler's), else under the span the call's headers name (a child call
 * made in a handler inherits the worker span's, worker-spans.ts), else at a new trace's root.
 */
function parentOf(headers: Readonly<Record<string, string>>): Context {
  const active = context.active();
  if (trace.getSpan(active) !== undefined) return active;
  const remote = extractSpanContext(headers);
  return remote ? trace.setSpanContext(active, remote) : active;
}

/**
 * The caller's side of tracing: a PRODUCER span per call, from `prepare` to `settled` (a
 * detached call's ends when Redis has it), whose context travels in the call's headers. With no
 * tracer provider registered the span does not record, and the call goes on untouched.
 */
export function callerSpans(tracer: Tracer): ClientInterceptor {
  // By call id, not by the OutgoingCall object: a delayed call's prepare gets a copy.
  const open = new Map<string, Span>();
  return {
    prepare(call) {
      const parent = parentOf(call.headers);
      const span = tracer.startSpan(
        `send ${call.task}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: messagingAttributes('send', call.queue, call.id, call.task),
        },
        parent,
      );
      if (!span.isRecording()) return;
      injectTraceContext(trace.setSpan(parent, span), call.headers);
      open.set(call.id, span);
    },
    sent(call) {
      open.get(call.id)?.addEvent(EVENT.sent);
    },
    settled(call, outcome) {
      const span = open.get(call.id);
      if (span === undefined) return;
      open.delete(call.id);
      endWith(span, outcome.ok ? undefined : outcome.error);
    },
  };
}
