import { expect, it } from 'vitest';
import { closeConnection, openConnection, reconnectDelay } from '../../src/transport/connection.js';

it('waits 100 ms doubling to 2 s between reconnects, each spread by ±20%', () => {
  const low = () => 0;
  const high = () => 1;
  expect([1, 2, 3, 4, 5, 6, 10].map((t) => reconnectDelay(t, low))).toEqual([80, 160, 320, 640, 1280, 1600, 1600]);
  expect([1, 2, 3, 4, 5, 6, 10].map((t) => reconnectDelay(t, high))).toEqual([120, 240, 480, 960, 1920, 2400, 2400]);
  // Many processes cut off at once come back spread out, not in one instant.
  const waits = new Set(Array.from({ length: 50 }, () => reconnectDelay(6)));
  expect(waits.size).toBeGreaterThan(10);
  for (const w of waits) expect(w).toBeGreaterThanOrEqual(1600);
});

it("is the strategy of taskwire's own connections, single node and Cluster", async () => {
  const plain = openConnection('redis://127.0.0.1:1', { name: 'tw-test-retry' });
  const cluster = openConnection({ cluster: [{ host: '127.0.0.1', port: 1 }] }, { name: 'tw-test-retry' });
  try {
    const strategy = (plain.options as { retryStrategy: (times: number) => number }).retryStrategy;
    const clusterStrategy = (cluster.options as { clusterRetryStrategy: (times: number) => number }).clusterRetryStrategy;
    for (const s of [strategy, clusterStrategy]) {
      const wait = s(3);
      expect(wait).toBeGreaterThanOrEqual(320);
      expect(wait).toBeLessThanOrEqual(480);
    }
  } finally {
    await Promise.all([closeConnection(plain), closeConnection(cluster)]);
  }
});
