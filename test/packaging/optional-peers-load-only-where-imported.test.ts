import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importGraph } from '../support/import-graph.js';
import { REPO_ROOT } from '../support/packed-package.js';

/**
 * Tracing and Prometheus live in subpaths of their own (taskwire/tracing, taskwire/prometheus):
 * a client, a worker, the dashboard and the CLI run without @opentelemetry/api or prom-client.
 */
const PEERS = ['@opentelemetry/api', 'prom-client'];
const dist = (file: string) => join(REPO_ROOT, 'dist/src', file);

describe('optional observability peers', () => {
  it('are not reachable from taskwire, taskwire/contract, taskwire/dashboard or the CLI, even lazily', () => {
    const graph = importGraph(['index.js', 'contract/index.js', 'dashboard/index.js', 'cli/main.js'].map(dist));
    for (const peer of PEERS) expect(graph.packages.get(peer), `${peer} imported by`).toBeUndefined();
  });

  it('are what taskwire/tracing and taskwire/prometheus import', () => {
    expect(importGraph([dist('observability/tracing.js')]).packages.get('@opentelemetry/api')).toBeDefined();
    expect(importGraph([dist('observability/prometheus.js')]).packages.get('prom-client')).toBeDefined();
  });
});
