import { createServer, type Server } from 'node:http';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { router, task } from '../../src/contract/index.js';
import { createAdmin, createClient, createWorker, metrics, type Client } from '../../src/index.js';
import { createDashboardHandler, createMetricsHandler } from '../../src/dashboard/index.js';
import { prometheusMetrics } from '../../src/observability/prometheus.js';
import { CliProcess } from '../support/cli-process.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';
import { observedContract, observedHandlers, type ObservedState } from './observed-contract.js';

/** Metrics (src/observability/): the prom-client registry and the queue gauges scraped after known calls, against a real Redis. */
let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function measured(options: { startWorker?: boolean } = {}) {
  const registry = new Registry();
  const m = metrics(prometheusMetrics({ registry }));
  const prefix = randomPrefix();
  const redis = redisUrl();
  const state: ObservedState = { runs: 0, ticks: 0 };
  const worker = createWorker(observedContract, observedHandlers(state), { redis, prefix, logger: quietLogger, observers: [m.observer], maintenanceIntervalMs: 100 });
  if (options.startWorker !== false) await worker.start();
  const client: Client<typeof observedContract> = createClient(observedContract, { redis, prefix, interceptors: [m.interceptor], noWorkers: 'wait' });
  const insp = inspector(prefix);
  cleanups.push(async () => {
    await client.$close();
    await worker.close({ drainTimeoutMs: 500 });
    await insp.cleanup();
  });
  return { registry, prefix, state, client, worker };
}

/** The value of one sample in a text exposition (`name{labels}`, labels in the order written), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The values of these series, to compare with what was expected in one assertion. */
function samples(text: string, expected: Record<string, number>): Record<string, number | undefined> {
  return Object.fromEntries(Object.keys(expected).map((series) => [series, sample(text, series)]));
}

/** Scrapes until `done` holds, for at most 5 s; the last scrape. */
async function scrapeUntil(registry: Registry, done: (text: string) => boolean): Promise<string> {
  const until = Date.now() + 5_000;
  for (;;) {
    const text = await registry.metrics();
    if (done(text) || Date.now() > until) return text;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

describe('call metrics (prom-client adapter)', () => {
  it('counts calls by task and outcome at the caller and the worker, with latency, wait and run histograms', async () => {
    const env = await measured();
    for (let i = 0; i < 3; i++) await env.client.add({ a: i, b: 1 });
    await env.client.declared({}).catch(() => undefined);
    // A worker counts a success once its settle returned: maybe just after the caller has the result.
    const text = await scrapeUntil(env.registry, (t) => sample(t, 'taskwire_worker_calls_total{task="add",queue="obs",outcome="ok"}') === 3);
    const expected = {
      'taskwire_client_calls_total{task="add",queue="obs",outcome="ok"}': 3,
      'taskwire_client_calls_total{task="declared",queue="obs",outcome="NOPE"}': 1,
      'taskwire_client_call_duration_seconds_count{task="add",queue="obs",outcome="ok"}': 3,
      'taskwire_client_call_duration_seconds_bucket{le="60",task="add",queue="obs",outcome="ok"}': 3,
      'taskwire_client_calls_in_flight{task="add",queue="obs"}': 0,
      'taskwire_worker_calls_total{task="add",queue="obs",outcome="ok"}': 3,
      'taskwire_worker_calls_total{task="declared",queue="obs",outcome="NOPE"}': 1,
      'taskwire_worker_queue_wait_seconds_count{task="add",queue="obs"}': 3,
      'taskwire_worker_run_duration_seconds_count{task="add",queue="obs",outcome="ok"}': 3,
      'taskwire_worker_calls_in_flight{task="add",queue="obs"}': 0,
    };
    expect(samples(text, expected)).toEqual(expected);
  });

  it('counts retries and dead letters', async () => {
    const env = await measured();
    expect(await env.client.flaky({ failFirst: 1 })).toBe('ok');
    await env.client.flaky({ failFirst: 99 }).catch(() => undefined);
    const text = await scrapeUntil(env.registry, (t) => sample(t, 'taskwire_worker_calls_total{task="flaky",queue="obs",outcome="ok"}') === 1);
    const expected = {
      'taskwire_worker_retries_total{task="flaky",queue="obs"}': 2,
      'taskwire_worker_dead_letters_total{task="flaky",queue="obs",reason="ATTEMPTS_EXHAUSTED"}': 1,
      'taskwire_worker_calls_total{task="flaky",queue="obs",outcome="INTERNAL"}': 3,
      'taskwire_worker_calls_total{task="flaky",queue="obs",outcome="ok"}': 1,
      'taskwire_client_calls_total{task="flaky",queue="obs",outcome="INTERNAL"}': 1,
    };
    expect(samples(text, expected)).toEqual(expected);
  });

  it('shows calls in flight at the caller and the worker while a handler runs', async () => {
    const env = await measured();
    let release = () => undefined as void;
    env.state.gate = new Promise<void>((r) => (release = r));
    const calls = [env.client.hold({}), env.client.hold({})];
    const running = 'taskwire_worker_calls_in_flight{task="hold",queue="obs"}';
    let text = await scrapeUntil(env.registry, (t) => sample(t, running) === 2);
    expect(sample(text, running)).toBe(2);
    expect(sample(text, 'taskwire_client_calls_in_flight{task="hold",queue="obs"}')).toBe(2);
    release();
    await Promise.all(calls);
    // The worker counts a call done once its settle returned, which may be just after the caller has the result.
    text = await scrapeUntil(env.registry, (t) => sample(t, running) === 0);
    expect(sample(text, running)).toBe(0);
    expect(sample(text, 'taskwire_client_calls_in_flight{task="hold",queue="obs"}')).toBe(0);
  });
});

describe('call metrics of a partitioned queue', () => {
  it('label its calls with the queue as callers name it, at the caller and at the worker, never with a partition name', async () => {
    const contract = router({ work: task({ input: z.object({ n: z.number() }), output: z.number(), queue: 'parted', partitions: 3 }) });
    const registry = new Registry();
    const m = metrics(prometheusMetrics({ registry }));
    const prefix = randomPrefix();
    const redis = redisUrl();
    const seen: Array<{ queue: string; partition: number | undefined }> = [];
    const worker = createWorker(contract, { work: ({ n }) => n }, { redis, prefix, logger: quietLogger, observers: [m.observer, { started: (c) => void seen.push({ queue: c.queue, partition: c.partition }) }] });
    await worker.start();
    const client = createClient(contract, { redis, prefix, interceptors: [m.interceptor] });
    const insp = inspector(prefix);
    cleanups.push(async () => {
      await client.$close();
      await worker.close({ drainTimeoutMs: 500 });
      await insp.cleanup();
    });
    await Promise.all(Array.from({ length: 6 }, (_, n) => client.work({ n })));
    const text = await scrapeUntil(registry, (t) => sample(t, 'taskwire_worker_calls_total{task="work",queue="parted",outcome="ok"}') === 6);
    expect(samples(text, { 'taskwire_client_calls_total{task="work",queue="parted",outcome="ok"}': 6, 'taskwire_worker_calls_total{task="work",queue="parted",outcome="ok"}': 6 })).toEqual({
      'taskwire_client_calls_total{task="work",queue="parted",outcome="ok"}': 6,
      'taskwire_worker_calls_total{task="work",queue="parted",outcome="ok"}': 6,
    });
    expect(text).not.toContain('parted#');
    // Round-robin: two calls on each partition, which observers get apart.
    expect(seen.every((c) => c.queue === 'parted')).toBe(true);
    expect(seen.map((c) => c.partition).sort()).toEqual([0, 0, 1, 1, 2, 2]);
  });
});

describe('queue gauges', () => {
  it('serves waiting, running, delayed, dead and live workers per queue, and an app registry after them', async () => {
    const env = await measured({ startWorker: false });
    await env.client.add.send({ a: 1, b: 2 });
    await env.client.add.send({ a: 3, b: 4 });
    await env.client.add.send({ a: 5, b: 6 }, { delayMs: 60_000 });
    const admin = createAdmin({ redis: redisUrl(), prefix: env.prefix });
    const handler = createMetricsHandler({ admin, registry: env.registry });
    cleanups.push(() => admin.close());
    const url = await serve(handler);
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    const q = `{prefix="${env.prefix}",queue="obs"}`;
    expect(sample(text, `taskwire_queue_waiting${q}`)).toBe(2);
    expect(sample(text, `taskwire_queue_delayed${q}`)).toBe(1);
    expect(sample(text, `taskwire_queue_running${q}`)).toBe(0);
    expect(sample(text, `taskwire_queue_dead${q}`)).toBe(0);
    expect(sample(text, `taskwire_queue_workers${q}`)).toBe(0);
    expect(sample(text, `taskwire_queue_oldest_waiting_seconds${q}`)).toBeGreaterThanOrEqual(0);
    // The app's registry follows: the three sends went through the interceptor.
    expect(sample(text, 'taskwire_client_calls_total{task="add",queue="obs",outcome="ok"}')).toBe(3);

    await env.worker.start();
    await env.client.flaky({ failFirst: 99 }).catch(() => undefined);
    const after = await (await fetch(`${url}/metrics`)).text();
    expect(sample(after, `taskwire_queue_waiting${q}`)).toBe(0);
    expect(sample(after, `taskwire_queue_workers${q}`)).toBe(1);
    expect(sample(after, `taskwire_queue_dead${q}`)).toBe(1);
  });

  it('are the same figures at the dashboard’s /metrics', async () => {
    const env = await measured();
    await env.client.flaky({ failFirst: 99 }).catch(() => undefined);
    const dashboard = createDashboardHandler({ redis: redisUrl(), prefix: env.prefix });
    cleanups.push(() => dashboard.close());
    const text = await (await fetch(`${await serve(dashboard)}/metrics`)).text();
    const q = `{prefix="${env.prefix}",queue="obs"}`;
    expect(sample(text, `taskwire_queue_dead${q}`)).toBe(1);
    expect(sample(text, `taskwire_queue_workers${q}`)).toBe(1);
  });

  it('are served by `taskwire metrics --port`', async () => {
    const env = await measured();
    await env.client.flaky({ failFirst: 99 }).catch(() => undefined);
    const cli = new CliProcess(['metrics', '--port', '0', '--redis', redisUrl(), '--prefix', env.prefix]);
    const [, url] = await cli.waitFor(/taskwire metrics: (http:\S+)/);
    const text = await (await fetch(url ?? '')).text();
    expect(sample(text, `taskwire_queue_dead{prefix="${env.prefix}",queue="obs"}`)).toBe(1);
    expect((await fetch((url ?? '').replace(/metrics$/, 'other'))).status).toBe(404);
  });
});
