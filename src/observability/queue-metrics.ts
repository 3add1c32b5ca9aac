import type { ServerResponse } from 'node:http';
import type { Overview, QueueOverview } from '../admin/overview.js';

/**
 * Queue-level gauges in Prometheus' text format, from one admin.overview() read: the figures
 * `taskwire inspect` and the dashboard show, so the three cannot disagree. Written by hand
 * rather than through prom-client: five gauge families are a few lines of text, and
 * `taskwire metrics` and the dashboard then need no optional peer.
 */

interface Family {
  name: string;
  help: string;
  value: (q: QueueOverview) => number;
}

const FAMILIES: readonly Family[] = [
  { name: 'taskwire_queue_waiting', help: 'Calls on the wait list.', value: (q) => q.waiting },
  { name: 'taskwire_queue_running', help: 'Calls a worker holds a lease on.', value: (q) => q.running },
  { name: 'taskwire_queue_delayed', help: 'Calls waiting out a delay (delayMs, runAt) or a retry backoff.', value: (q) => q.delayed },
  { name: 'taskwire_queue_dead', help: 'Entries on the dead-letter stream.', value: (q) => q.dead },
  { name: 'taskwire_queue_workers', help: 'Live workers (a heartbeat within workerTtlMs).', value: (q) => q.workers },
  { name: 'taskwire_queue_oldest_waiting_seconds', help: 'Age of the call at the head of the wait list; 0 when none waits.', value: (q) => (q.oldestWaitingMs ?? 0) / 1000 },
  { name: 'taskwire_queue_calls_per_second', help: "Calls the queue's live workers settled per second over the last minute.", value: (q) => q.callsPerSecond },
];

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The gauges of every queue in the overview, labelled by prefix and queue. */
export function queueMetricsText(overview: Overview): string {
  const lines: string[] = [];
  const prefix = label(overview.prefix);
  for (const f of FAMILIES) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} gauge`);
    for (const q of overview.queues) lines.push(`${f.name}{prefix="${prefix}",queue="${label(q.name)}"} ${f.value(q)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Answers a scrape with metrics text. */
export function sendMetrics(res: ServerResponse, method: string, text: string): void {
  res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(method === 'HEAD' ? undefined : text);
}
