/**
 * Entry of the client process of fault test 7, started by leaks.test.ts as
 * `node --expose-gc --import tsx leak-client-process.ts` with its settings in TW_LEAK_CLIENT
 * (JSON): alone in its process, so its heap, timers and listeners are the client's own, and
 * `gc()` is there to weigh the heap.
 *
 * It makes a warm-up round of calls, measures, makes `calls` calls of which half time out or
 * are aborted, and waits for all of them to settle. It sends their `outcomes` (each by its input
 * id, `<kind>-<n>`), drops what it kept for that report, measures again and sends `heap`.
 */
import { getEventListeners, setMaxListeners } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient, isTaskwireError } from '../../../src/index.js';
import { expectedWork, faultContract } from './fault-contract.js';
import { callPlan, type LeakClientConfig, type LeakClientHeap, type LeakClientOutcomes, type Measure } from './leak-calls.js';

const config = JSON.parse(process.env['TW_LEAK_CLIENT'] ?? 'null') as LeakClientConfig | null;
const gc = (globalThis as { gc?: () => void }).gc;
if (!config || !process.send || !gc) {
  console.error('leak-client-process: run me with node --expose-gc through leaks.test.ts (needs TW_LEAK_CLIENT and an IPC channel)');
  process.exit(2);
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(client: { readonly $pending: number }): Promise<Measure> {
  // Several passes with turns of the event loop between: finalizers and weak callbacks run late.
  for (let i = 0; i < 4; i++) {
    gc?.();
    await sleep(20);
  }
  return {
    heapUsedBytes: process.memoryUsage().heapUsed,
    timers: process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length,
    pending: client.$pending,
  };
}

const client = createClient(faultContract, { redis: config.url, prefix: config.prefix });
const shared = new AbortController();
// Every ok call listens on it while in flight, thousands at once: past Node's warning threshold
// (10), which is about a leak this test measures itself.
setMaxListeners(0, shared.signal);
const perCallSignals: AbortSignal[] = [];
const outcomes: Record<string, string[]> = {};
let maxTimeoutLateMs = -Infinity;
let maxCancelLatencyMs = -Infinity;
let peakHeapUsedBytes = 0;

async function run(o: LeakClientConfig, count: number, tag: string, record: boolean): Promise<void> {
  const calls: Array<Promise<void>> = [];
  for (let n = 0; n < count; n++) {
    const p = callPlan(n, tag);
    let signal = shared.signal;
    let abortedAt = 0;
    let abortNow: (() => void) | undefined;
    if (p.kind !== 'ok') {
      const own = new AbortController();
      signal = own.signal;
      if (record) perCallSignals.push(own.signal);
      const abort = () => {
        abortedAt = Date.now();
        own.abort();
      };
      if (p.abortAfterMs !== undefined && p.abortAfterMs < 0) abortNow = abort;
      else if (p.abortAfterMs !== undefined) setTimeout(abort, p.abortAfterMs);
    }
    let startedAt = Date.now();
    calls.push(
      client.work(p.input, { timeoutMs: p.timeoutMs, replyMode: p.replyMode, signal }).then(
        (out) => {
          const ok = JSON.stringify(out) === JSON.stringify(expectedWork(p.input));
          if (record) (outcomes[ok ? 'ok' : 'wrong'] ??= []).push(p.input.id);
        },
        (err: unknown) => {
          const code = isTaskwireError(err) ? err.code : `NOT_A_TASKWIRE_ERROR: ${String(err)}`;
          if (!record) return;
          (outcomes[code] ??= []).push(p.input.id);
          if (code === 'TIMEOUT') maxTimeoutLateMs = Math.max(maxTimeoutLateMs, Date.now() - startedAt - p.timeoutMs);
          if (code === 'CANCELLED') maxCancelLatencyMs = Math.max(maxCancelLatencyMs, Date.now() - abortedAt);
        },
      ),
    );
    abortNow?.();
    // The client takes the call's time (its deadline) after validating the input, a microtask
    // later; this runs right after that, so lateness is counted from the same instant.
    queueMicrotask(() => (startedAt = Date.now()));
    if ((n + 1) % o.wave === 0) await sleep(o.wavePauseMs);
  }
  if (record) peakHeapUsedBytes = process.memoryUsage().heapUsed;
  await Promise.all(calls);
  await sleep(o.quietMs);
}

// Warm-up: the same mix, so lazily built parts (reply inbox loop, pub/sub subscriber, compiled
// code, zod's caches) exist before the baseline is taken.
await run(config, config.warmupCalls, 'warm-', false);
const baseline = await measure(client);
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const started = Date.now();
await run(config, config.calls, '', true);
const runMs = Date.now() - started;
loopDelay.disable();

const outcomesMessage: LeakClientOutcomes = {
  type: 'outcomes',
  peakHeapUsedBytes,
  sharedSignalListeners: getEventListeners(shared.signal, 'abort').length,
  perCallSignalListeners: perCallSignals.reduce((n, s) => n + getEventListeners(s, 'abort').length, 0),
  outcomes,
  maxTimeoutLateMs,
  maxCancelLatencyMs,
  eventLoopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
  runMs,
};
await new Promise((resolve) => process.send?.(outcomesMessage, resolve));
// What this process kept for the report (5,000 signals, 10,000 ids) must not count as the client's.
perCallSignals.length = 0;
for (const code of Object.keys(outcomes)) delete outcomes[code];
const after = await measure(client);
const heapMessage: LeakClientHeap = { type: 'heap', baseline, after };
process.send(heapMessage, () => {
  void client.$close().then(() => process.exit(0));
});
