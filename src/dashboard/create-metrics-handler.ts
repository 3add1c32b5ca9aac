import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAdmin, type Admin } from '../admin/create-admin.js';
import { queueMetricsText, sendMetrics } from '../observability/queue-metrics.js';
import type { RedisSource } from '../transport/connection.js';
import { createApi } from './api.js';

export interface MetricsHandlerOptions {
  /** The admin to read through (left open by close()); or `redis` and `prefix` to open one. */
  admin?: Admin;
  redis?: RedisSource;
  prefix?: string;
  /**
   * An app's own registry to serve after the queue gauges, in the same scrape: prom-client's
   * `register`, or anything with `metrics()`.
   */
  registry?: { metrics(): Promise<string> | string };
}

/** A `(req, res)` handler answering every GET/HEAD with the queue gauges; mount it at `/metrics`. */
export interface MetricsHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Closes the admin connection the handler opened (not one passed in). */
  close(): Promise<void>;
}

/** How often a scrape looks for new queues (a SCAN); between, the known queues are read. */
const QUEUE_LIST_TTL_MS = 30_000;

/**
 * The queue-level exporter (docs/OBSERVABILITY.md): waiting, running, delayed, dead and live
 * workers per queue, read from Redis through admin.overview() at each scrape.
 */
export function createMetricsHandler(options: MetricsHandlerOptions): MetricsHandler {
  if (!options.admin && options.redis === undefined) throw new TypeError('createMetricsHandler(): give `admin`, or `redis` (and `prefix`)');
  const own = options.admin ? undefined : createAdmin({ redis: options.redis as RedisSource, ...(options.prefix === undefined ? {} : { prefix: options.prefix }) });
  const api = createApi(options.admin ?? (own as Admin), QUEUE_LIST_TTL_MS);
  const registry = options.registry;

  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    (async () => {
      const text = queueMetricsText(await api.overview());
      return registry ? `${text}${await registry.metrics()}` : text;
    })().then(
      (text) => sendMetrics(res, method, text),
      (err: unknown) => {
        // Redis down or refusing: a failed scrape (Prometheus records `up` 0), not a page of zeros.
        res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`taskwire metrics: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  }) as MetricsHandler;
  handler.close = async () => {
    await own?.close();
  };
  return handler;
}
