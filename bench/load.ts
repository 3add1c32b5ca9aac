import { percentile } from './stats.js';

/** What one measurement produced. Latencies are per call, from call() to its settled promise. */
export interface LoadResult {
  calls: number;
  seconds: number;
  callsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  firstError?: string;
  /** Every call settled during the run, warm-up and drain included (for CPU per call). */
  totalCalls: number;
}

type Call = () => Promise<unknown>;

function summarise(latencies: number[], seconds: number, errors: number, firstError: string | undefined, totalCalls: number): LoadResult {
  return {
    totalCalls,
    calls: latencies.length,
    seconds,
    callsPerSec: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** One call at a time: `warmup` calls unmeasured, then `calls` measured. */
export async function runSequential(call: Call, warmup: number, calls: number): Promise<LoadResult> {
  let errors = 0;
  let firstError: string | undefined;
  for (let i = 0; i < warmup; i++) await call().catch(() => errors++);
  errors = 0;
  const latencies: number[] = [];
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    try {
      await call();
      latencies.push(performance.now() - t0);
    } catch (err) {
      errors++;
      firstError ??= String(err);
    }
  }
  return summarise(latencies, (performance.now() - start) / 1000, errors, firstError, warmup + calls);
}

/**
 * A closed loop holding `inFlight` calls outstanding: each lane starts its next call as soon as
 * its last one settles. Runs `warmupMs` unmeasured, then counts calls that settle within a
 * `windowMs` window (steady state: no ramp-up or drain inside the window).
 */
export async function runInFlight(call: Call, inFlight: number, warmupMs: number, windowMs: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let measuring = false;
  let stopped = false;
  let settled = 0;
  const lane = async () => {
    while (!stopped) {
      const t0 = performance.now();
      try {
        await call();
        settled++;
        if (measuring && !stopped) latencies.push(performance.now() - t0);
      } catch (err) {
        settled++;
        if (measuring && !stopped) {
          errors++;
          firstError ??= String(err);
        }
      }
    }
  };
  const lanes = Array.from({ length: inFlight }, lane);
  await sleep(warmupMs);
  measuring = true;
  const start = performance.now();
  await sleep(windowMs);
  // A window in which nothing settled says nothing (a smoke run's 250 ms of 1 MB calls on a busy
  // machine): it is extended until one call settles, up to 20 windows. Full runs never get here.
  for (let waited = 0; latencies.length + errors === 0 && waited < 20 * windowMs; waited += 10) await sleep(10);
  stopped = true;
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(lanes);
  return summarise(latencies, seconds, errors, firstError, settled);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
