import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { router, task, type RouterShape } from '../../src/contract/index.js';
import { createAdmin, createClient, createSchedules, createWorker, isTaskwireError, type Handlers } from '../../src/index.js';
import { traceHeaders, tracing } from '../../src/observability/tracing.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';
import { observedContract, observedHandlers, type ObservedState } from './observed-contract.js';

/** Tracing (src/observability/): spans read back from the SDK's in-memory exporter, against a real Redis. */
let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function traced() {
  const state: ObservedState = { runs: 0, ticks: 0 };
  return { state, ...(await tracedWith(observedContract, observedHandlers(state))) };
}

/** A traced worker and client of `contract`, and its finished spans. */
async function tracedWith<R extends RouterShape>(contract: R, handlers: Handlers<R>) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const t = tracing({ tracerProvider: provider });
  const prefix = randomPrefix();
  const redis = redisUrl();
  const worker = createWorker(contract, handlers, { redis, prefix, logger: quietLogger, middleware: [t.middleware], observers: [t.observer] });
  await worker.start();
  const client = createClient(contract, { redis, prefix, interceptors: [t.interceptor] });
  const insp = inspector(prefix);
  cleanups.push(async () => {
    await client.$close();
    await worker.close({ drainTimeoutMs: 500 });
    await provider.shutdown();
    await insp.cleanup();
  });
  return {
    prefix,
    client,
    provider,
    spans: () => exporter.getFinishedSpans(),
    /** Waits (bounded) until `n` spans named `name` ended. */
    async ended(name: string, n = 1): Promise<ReadableSpan[]> {
      const until = Date.now() + 5_000;
      for (;;) {
        const found = exporter.getFinishedSpans().filter((s) => s.name === name);
        if (found.length >= n || Date.now() > until) return found;
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

const parentId = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const traceId = (s: ReadableSpan) => s.spanContext().traceId;
const spanId = (s: ReadableSpan) => s.spanContext().spanId;

describe('tracing', () => {
  it('makes a caller span and a worker span as its child, with messaging attributes and the outcome', async () => {
    const env = await traced();
    expect(await env.client.add({ a: 2, b: 3 })).toBe(5);
    const [send] = await env.ended('send add');
    const [work] = await env.ended('process add');
    expect(send && work).toBeTruthy();
    if (!send || !work) return;
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(work.kind).toBe(SpanKind.CONSUMER);
    expect(traceId(work)).toBe(traceId(send));
    expect(parentId(work)).toBe(spanId(send));
    expect(send.attributes).toMatchObject({
      'messaging.system': 'taskwire',
      'messaging.destination.name': 'obs',
      'messaging.operation.type': 'send',
      'taskwire.task': 'add',
      'taskwire.outcome': 'ok',
    });
    expect(send.attributes['messaging.message.id']).toBe(work.attributes['messaging.message.id']);
    expect(work.attributes).toMatchObject({ 'messaging.operation.type': 'process', 'taskwire.attempt': 1, 'taskwire.deliveries': 1, 'taskwire.outcome': 'ok' });
    expect(send.events.map((e) => e.name)).toEqual(['taskwire.sent']);
    expect(work.attributes['messaging.destination.partition.id']).toBeUndefined();
  });

  it('names a partitioned queue as callers do on the worker span, with the partition the call was taken from', async () => {
    const contract = router({ work: task({ input: z.object({ n: z.number() }), output: z.number(), queue: 'parted', partitions: 2 }) });
    const env = await tracedWith(contract, { work: ({ n }) => n });
    await Promise.all([env.client.work({ n: 1 }), env.client.work({ n: 2 })]);
    const work = await env.ended('process work', 2);
    expect(work.map((s) => s.attributes['messaging.destination.name'])).toEqual(['parted', 'parted']);
    // Round-robin: one call on each partition.
    expect(work.map((s) => s.attributes['messaging.destination.partition.id']).sort()).toEqual(['0', '1']);
  });

  it('marks a failed call with its code on both spans', async () => {
    const env = await traced();
    const err = await env.client.declared({}).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('NOPE');
    const [send] = await env.ended('send declared');
    const [work] = await env.ended('process declared');
    expect(send?.attributes['taskwire.outcome']).toBe('NOPE');
    expect(send?.status.code).toBe(SpanStatusCode.ERROR);
    expect(work?.attributes['taskwire.outcome']).toBe('NOPE');
  });

  it('keeps a retried call in one trace: each attempt a child of the caller span, the retry an event', async () => {
    const env = await traced();
    expect(await env.client.flaky({ failFirst: 1 })).toBe('ok');
    const [send] = await env.ended('send flaky');
    const works = await env.ended('process flaky', 2);
    expect(works.map((w) => w.attributes['taskwire.attempt']).sort()).toEqual([1, 2]);
    for (const w of works) {
      expect(traceId(w)).toBe(send && traceId(send));
      expect(parentId(w)).toBe(send && spanId(send));
    }
    const first = works.find((w) => w.attributes['taskwire.attempt'] === 1);
    expect(first?.attributes['taskwire.outcome']).toBe('INTERNAL');
    expect(first?.events.map((e) => e.name)).toContain('taskwire.retry');
    expect(first?.events.find((e) => e.name === 'taskwire.retry')?.attributes).toMatchObject({ 'taskwire.attempt': 2 });
  });

  it('shows a dead letter as an event, and its replay in the same trace', async () => {
    const env = await traced();
    const err = await env.client.flaky({ failFirst: 2 }).catch((e: unknown) => e);
    expect(isTaskwireError(err) && err.code).toBe('INTERNAL');
    const works = await env.ended('process flaky', 2);
    const last = works.find((w) => w.attributes['taskwire.attempt'] === 2);
    expect(last?.events.find((e) => e.name === 'taskwire.dead_letter')?.attributes).toMatchObject({ 'taskwire.dead_letter.reason': 'ATTEMPTS_EXHAUSTED' });

    const admin = createAdmin({ redis: redisUrl(), prefix: env.prefix });
    cleanups.push(() => admin.close());
    const [letter] = await admin.deadLetters('obs').list();
    expect(letter).toBeDefined();
    expect(await admin.deadLetters('obs').replay(letter?.id ?? '')).toBe(true);
    const after = await env.ended('process flaky', 3);
    const replayed = after.find((w) => !works.includes(w));
    const [send] = await env.ended('send flaky');
    expect(replayed?.attributes['taskwire.outcome']).toBe('ok');
    expect(replayed && traceId(replayed)).toBe(send && traceId(send));
    expect(replayed && parentId(replayed)).toBe(send && spanId(send));
  });

  it('nests a child call made in a handler under the worker span', async () => {
    const env = await traced();
    expect(await env.client.parent({ n: 4 })).toBe(10);
    const [send] = await env.ended('send parent');
    const [parent] = await env.ended('process parent');
    const [child] = await env.ended('process add');
    expect(parent && parentId(parent)).toBe(send && spanId(send));
    expect(child && traceId(child)).toBe(send && traceId(send));
    expect(child && parentId(child)).toBe(parent && spanId(parent));
  });

  it('starts a new trace for each tick of a schedule, linked to the span that made the schedule', async () => {
    const env = await traced();
    const schedules = createSchedules(observedContract, { redis: redisUrl(), prefix: env.prefix });
    cleanups.push(() => schedules.close());
    const tracer = env.provider.getTracer('test');
    const setup = tracer.startSpan('set up schedules');
    const headers = traceHeaders(trace.setSpan(context.active(), setup));
    setup.end();
    expect(headers['traceparent']).toContain(setup.spanContext().spanId);
    await schedules.upsert('tick', { id: 'beat', input: {}, everyMs: 150 }, { headers });
    const ticks = await env.ended('process tick', 2);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    const [a, b] = ticks;
    expect(a && traceId(a)).not.toBe(b && traceId(b));
    for (const t of [a, b]) {
      expect(t?.parentSpanContext).toBeUndefined();
      expect(t?.links.map((l) => l.context.spanId)).toEqual([setup.spanContext().spanId]);
      expect(t && traceId(t)).not.toBe(setup.spanContext().traceId);
    }
  });

  it('records nothing and adds no header without a tracer provider', async () => {
    const t = tracing({ tracerProvider: trace.getTracerProvider() });
    const prefix = randomPrefix();
    const seen: Array<Record<string, string>> = [];
    const worker = createWorker(observedContract, observedHandlers({ runs: 0, ticks: 0 }), {
      redis: redisUrl(),
      prefix,
      logger: quietLogger,
      middleware: [t.middleware, (ctx, _input, next) => (seen.push({ ...ctx.headers }), next())],
      observers: [t.observer],
    });
    await worker.start();
    const client = createClient(observedContract, { redis: redisUrl(), prefix, interceptors: [t.interceptor] });
    const insp = inspector(prefix);
    cleanups.push(async () => {
      await client.$close();
      await worker.close({ drainTimeoutMs: 500 });
      await insp.cleanup();
    });
    expect(await client.add({ a: 1, b: 1 })).toBe(2);
    expect(seen).toEqual([{}]);
  });
});
