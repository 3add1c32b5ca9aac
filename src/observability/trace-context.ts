import { context, createTraceState, propagation, trace, TraceFlags, type Context, type SpanContext } from '@opentelemetry/api';

/**
 * Trace context in a call's headers (W3C `traceparent`, and `tracestate` when there is one).
 *
 * The app's registered propagator is used when there is one (NodeSDK registers W3C trace context
 * and baggage; an app may choose B3). Without one, the OTel API's propagator is a no-op that
 * carries nothing, and a call would silently lose its trace: then taskwire writes and reads
 * `traceparent` itself (the W3C format is one line, a dependency on @opentelemetry/core for it
 * would be a second optional peer for 20 lines).
 */

const VERSION = '00';
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const INVALID_TRACE = '00000000000000000000000000000000';
const INVALID_SPAN = '0000000000000000';

function propagatorRegistered(): boolean {
  return propagation.fields().length > 0;
}

/** Writes the trace context of `ctx` into `headers` (nothing when it names no valid span). */
export function injectTraceContext(ctx: Context, headers: Record<string, string>): void {
  if (propagatorRegistered()) return propagation.inject(ctx, headers);
  const sc = trace.getSpanContext(ctx);
  if (!sc || !trace.isSpanContextValid(sc)) return;
  headers['traceparent'] = `${VERSION}-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
  const state = sc.traceState?.serialize();
  if (state) headers['tracestate'] = state;
}

/** The remote span context the headers carry, or undefined. */
export function extractSpanContext(headers: Readonly<Record<string, string>>): SpanContext | undefined {
  if (propagatorRegistered()) {
    const sc = trace.getSpanContext(propagation.extract(context.active(), headers));
    return sc && trace.isSpanContextValid(sc) ? sc : undefined;
  }
  const m = TRACEPARENT.exec(headers['traceparent'] ?? '');
  if (!m || m[1] === 'ff' || m[2] === INVALID_TRACE || m[3] === INVALID_SPAN) return undefined;
  const state = headers['tracestate'];
  return {
    traceId: m[2] as string,
    spanId: m[3] as string,
    traceFlags: parseInt(m[4] as string, 16) & TraceFlags.SAMPLED,
    isRemote: true,
    ...(state ? { traceState: createTraceState(state) } : {}),
  };
}
