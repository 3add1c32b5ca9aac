import { describe, expect, it } from 'vitest';
import { ThroughputWindow } from '../../src/worker/throughput-window.js';
import { decodeWorkerInfo, encodeWorkerInfo, THROUGHPUT_SECONDS } from '../../src/wire/worker-info.js';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('the per-second throughput window', () => {
  it('puts what the totals grew by into the second of each sample and forgets seconds older than a minute', () => {
    const w = new ThroughputWindow();
    const t0 = 1_700_000_000_000;
    w.sample(t0, { succeeded: 0, failed: 0 });
    w.sample(t0 + 1_000, { succeeded: 10, failed: 1 });
    w.sample(t0 + 1_500, { succeeded: 15, failed: 1 });
    w.sample(t0 + 3_000, { succeeded: 18, failed: 3 });
    const now = w.snapshot(t0 + 3_000);
    expect(now.until).toBe(t0 + 3_000);
    expect(now.succeeded.slice(-3)).toEqual([15, 0, 3]);
    expect(now.failed.slice(-3)).toEqual([1, 0, 2]);
    expect(now.succeeded).toHaveLength(THROUGHPUT_SECONDS);
    // 59 s later the first second is still in the window; 60 s later it is gone.
    expect(sum(w.snapshot(t0 + 60_000).succeeded)).toBe(18);
    expect(sum(w.snapshot(t0 + 61_000).succeeded)).toBe(3);
    w.sample(t0 + 120_000, { succeeded: 18, failed: 3 });
    expect(sum(w.snapshot(t0 + 120_000).succeeded)).toBe(0);
  });
});

describe('worker info records', () => {
  const info = {
    id: 'w1',
    host: 'h',
    pid: 1,
    version: '0.1.0',
    concurrency: 4,
    queues: ['q'],
    startedAt: 1,
    at: 2,
    running: 0,
    tasks: [{ path: 'a.b', fingerprint: '0123456789abcdef' }],
    settled: { succeeded: 1, failed: 0 },
    throughput: { until: 2_000, succeeded: new Array<number>(60).fill(0), failed: new Array<number>(60).fill(0) },
  };

  it('round-trip, starting with their version', () => {
    const raw = encodeWorkerInfo(info);
    expect(raw.startsWith('{"v":1,')).toBe(true);
    expect(decodeWorkerInfo(raw)).toEqual({ v: 1, ...info });
  });

  it('are skipped, not trusted, when their version or shape is unknown', () => {
    expect(decodeWorkerInfo(encodeWorkerInfo(info).replace('"v":1', '"v":2'))).toBeUndefined();
    expect(decodeWorkerInfo(JSON.stringify({ v: 1, ...info, pid: 'x' }))).toBeUndefined();
    expect(decodeWorkerInfo(JSON.stringify({ v: 1, ...info, throughput: { ...info.throughput, failed: [1] } }))).toBeUndefined();
    expect(decodeWorkerInfo('not json')).toBeUndefined();
  });
});
