import { defineConfig } from 'vitest/config';

// Slow topologies (Sentinel, Cluster with replicas, failover, resharding) and other slow runs
// (test/slow: the bench's smoke run) kept out of `npm test` so it stays within its budget on 2
// cores; `.ci/run` runs both (`npm run test:scale`).
export default defineConfig({
  test: {
    include: ['test/scale/**/*.test.ts', 'test/slow/**/*.test.ts'],
    exclude: ['test/.tmp/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One file at a time: each starts several redis-server processes and kills some of them.
    maxWorkers: 1,
    fileParallelism: false,
  },
});
