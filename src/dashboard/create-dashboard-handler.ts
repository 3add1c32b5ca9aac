import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAdmin, type Admin } from '../admin/create-admin.js';
import { isTaskwireError } from '../errors.js';
import { queueMetricsText, sendMetrics } from '../observability/queue-metrics.js';
import { ownPackage } from '../own-package.js';
import type { RedisSource } from '../transport/connection.js';
import { checkAction, checkHost } from './access.js';
import { createApi } from './api.js';
import { HttpError, readJsonBody, sendJson } from './http.js';
import { isStaticName, staticFile } from './static-files.js';

export interface DashboardOptions {
  /** The admin to read through (left open by close()); or `redis` and `prefix` to open one. */
  admin?: Admin;
  redis?: RedisSource;
  prefix?: string;
  /**
   * Replay and purge need this token (`Authorization: Bearer <token>`); without one the dashboard
   * is read-only and refuses every action. Make it long and random (crypto.randomBytes(24)).
   */
  actionToken?: string;
  /** How often the page refreshes its figures, ms. Default 2000. */
  refreshMs?: number;
  /**
   * Host names (without port) the handler answers for; others get 421. Set it when the server
   * listens on loopback (DNS rebinding). Default: any.
   */
  allowedHosts?: readonly string[];
  /** Where the handler is mounted in a plain Node server (`/ops/taskwire`); frameworks that strip the mount path need none. */
  basePath?: string;
}

/** One `(req, res)` handler serving the page and its JSON API; mount it in any Node HTTP server. */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Closes the admin connection the handler opened (not one passed in). */
  close(): Promise<void>;
}

const PAGE_HEADERS = {
  'Cache-Control': 'no-cache',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // Everything the page loads is its own: no inline script, nothing from elsewhere, not framed.
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
} as const;

function statusOf(err: unknown): { status: number; message: string } {
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  if (isTaskwireError(err)) return { status: err.code === 'PROTOCOL' ? 422 : 500, message: `${err.code}: ${err.message}` };
  // Most often Redis: down, timed out, or refusing a command to this user (NOPERM).
  return { status: 503, message: err instanceof Error ? err.message : String(err) };
}

export function createDashboardHandler(options: DashboardOptions): DashboardHandler {
  if (!options.admin && options.redis === undefined) throw new TypeError('createDashboardHandler(): give `admin`, or `redis` (and `prefix`)');
  const own = options.admin ? undefined : createAdmin({ redis: options.redis as RedisSource, ...(options.prefix === undefined ? {} : { prefix: options.prefix }) });
  const admin = options.admin ?? (own as Admin);
  const refreshMs = options.refreshMs ?? 2_000;
  // Four page refreshes between SCANs for new queues: a new queue shows within ~8 s by default.
  const api = createApi(admin, Math.max(1_000, refreshMs * 4));
  const token = options.actionToken;
  const base = (options.basePath ?? '').replace(/\/+$/, '');
  const config = { version: ownPackage().version, prefix: admin.prefix, actions: token !== undefined, refreshMs };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkHost(req, options.allowedHosts);
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    let path = url.pathname;
    if (base !== '' && (path === base || path.startsWith(`${base}/`))) path = path.slice(base.length);
    const method = req.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';

    if (path === '' || path === '/') {
      // Relative links (app.js, api/…) need the page's URL to end in a slash, wherever it is mounted.
      const original = ((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/').split('?')[0] ?? '/';
      if (!original.endsWith('/')) {
        res.writeHead(301, { Location: `${original}/${url.search}` });
        res.end();
        return;
      }
      path = '/index.html';
    }
    // The queue gauges for Prometheus, from the overview the page shows (create-metrics-handler.ts).
    if (path === '/metrics' && read) return sendMetrics(res, method, queueMetricsText(await api.overview()));
    const name = path.slice(1);
    if (isStaticName(name)) {
      if (!read) throw new HttpError(405, `${method} is not allowed here`);
      const file = await staticFile(name);
      res.writeHead(200, { ...PAGE_HEADERS, 'Content-Type': file.type, 'Content-Length': file.body.length });
      res.end(method === 'HEAD' ? undefined : file.body);
      return;
    }

    const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
    if (parts[0] !== 'api') throw new HttpError(404, `no such page: ${path}`);
    const [, what, queue, sub, id, verb] = parts;
    if (read) {
      if (what === 'config' && parts.length === 2) return sendJson(res, 200, config);
      if (what === 'overview' && parts.length === 2) return sendJson(res, 200, await api.overview());
      if (what === 'queues' && queue !== undefined && sub === 'calls' && parts.length === 4) return sendJson(res, 200, await api.calls(queue, url.searchParams));
      if (what === 'queues' && queue !== undefined && sub === 'dead' && parts.length === 4) return sendJson(res, 200, await api.deadLetters(queue, url.searchParams));
      if (what === 'queues' && queue !== undefined && sub === 'dead' && id !== undefined && parts.length === 5) return sendJson(res, 200, await api.deadLetter(queue, id));
    } else if (method === 'POST' && what === 'queues' && queue !== undefined && sub === 'dead') {
      // POST …/dead/<id>/replay|purge acts on one letter; POST …/dead/replay|purge on a filter.
      const one = parts.length === 6 && (verb === 'replay' || verb === 'purge') ? { id, verb } : undefined;
      const many = parts.length === 5 && (id === 'replay' || id === 'purge') ? { id: undefined, verb: id } : undefined;
      const action = one ?? many;
      if (action) {
        checkAction(req, token);
        const body = await readJsonBody(req);
        return sendJson(res, 200, await api.act(queue, action.id, action.verb as 'replay' | 'purge', body));
      }
    }
    throw new HttpError(read || method === 'POST' ? 404 : 405, `no route for ${method} ${path}`);
  }

  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((err: unknown) => {
      const { status, message } = statusOf(err);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, status, { error: message });
    });
  }) as DashboardHandler;
  handler.close = async () => {
    await own?.close();
  };
  return handler;
}
