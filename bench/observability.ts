/**
 * `tsx bench/observability.ts [reps]`: what tracing and metrics cost a plain call
 * (docs/OBSERVABILITY.md): calls/s at 1,000 in flight with none, with tracing hooks but no
 * provider, with tracing to an in-memory exporter, and with the prom-client metrics; client and
 * worker in one process on a private Redis, alternating, medians of `reps` windows of 3 s.
 */
import { randomBytes } from 'node:crypto';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { createClient, createWorker, router, task, type ClientOptions, type WorkerOptions } from '../src/index.js';
import { tracing } from '../src/observability/tracing.js';
import { prometheusMetrics } from '../src/observability/prometheus.js';
import { metrics } from '../src/observability/metrics.js';
import { RedisServer } from '../test/support/redis-server.js';
import { runInFlight } from './load.js';
import { median } from './stats.js';

const contract = router({ plain: task({ input: z.object({ n: z.number() }), output: z.object({ n: z.number() }) }) });
type Hooks = { client: Partial<ClientOptions>; worker: Partial<WorkerOptions>; reset?: () => void };
const exporter = new InMemorySpanExporter();
const modes: Record<string, () => Hooks> = {
  none: () => ({ client: {}, worker: {} }),
  'tracing, no provider': () => {
    const t = tracing();
    return { client: { interceptors: [t.interceptor] }, worker: { middleware: [t.middleware], observers: [t.observer] } };
  },
  'tracing to an in-memory exporter': () => {
    const t = tracing({ tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }) });
    return { client: { interceptors: [t.interceptor] }, worker: { middleware: [t.middleware], observers: [t.observer] }, reset: () => exporter.reset() };
  },
  'prom-client metrics': () => {
    const m = metrics(prometheusMetrics({ registry: new Registry() }));
    return { client: { interceptors: [m.interceptor] }, worker: { observers: [m.observer] } };
  },
};
const server = await RedisServer.start();
const reps = Number(process.argv[2] ?? 5);
const results: Record<string, number[]> = {};
try {
  for (let r = 0; r < reps; r++) {
    for (const [mode, make] of Object.entries(modes)) {
      const prefix = `obs-${randomBytes(4).toString('hex')}`;
      const hooks = make();
      const worker = createWorker(contract, { plain: (i) => i }, { redis: server.url, prefix, concurrency: 200, logger: { warn: () => undefined, error: () => undefined }, ...hooks.worker });
      await worker.start();
      const client = createClient(contract, { redis: server.url, prefix, ...hooks.client });
      const timer = setInterval(() => hooks.reset?.(), 500);
      (results[mode] ??= []).push((await runInFlight(() => client.plain({ n: 1 }), 1000, 1000, 3000)).callsPerSec);
      clearInterval(timer);
      await client.$close();
      await worker.close();
    }
  }
  const base = median(results['none'] ?? []);
  for (const [mode, list] of Object.entries(results)) console.log(`${mode.padEnd(36)} ${Math.round(median(list))} calls/s  ${(median(list) / base).toFixed(2)}x`);
} finally {
  await server.stop();
}
