import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboardHandler, type DashboardHandler } from 'taskwire/dashboard';
import { CliProcess } from '../support/cli-process.js';
import { opsEnv, type OpsEnv } from '../support/ops-env.js';

let env: OpsEnv | undefined;
let server: Server | undefined;
let handler: DashboardHandler | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  await handler?.close();
  await env?.cleanup();
  env = undefined;
  server = undefined;
  handler = undefined;
});

/** The handler mounted under /ops in a plain Node server, as a user would in their own app. */
async function mounted(e: OpsEnv, options: { actionToken?: string; allowedHosts?: string[] } = {}): Promise<string> {
  handler = createDashboardHandler({ admin: e.admin, basePath: '/ops', ...options });
  const h = handler;
  server = createServer((req, res) => {
    if (req.url?.startsWith('/ops')) return h(req, res);
    res.writeHead(200).end('the app itself');
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

async function post(url: string, headers: Record<string, string> = {}, body: unknown = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('createDashboardHandler, mounted in an existing Node HTTP server', () => {
  it('serves the page and its assets under the mount path, and the same overview admin.overview() reads', async () => {
    env = await opsEnv();
    const base = await mounted(env);
    const bare = await fetch(`${base}/ops`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([301, '/ops/']);
    const page = await fetch(`${base}/ops/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="app.js"></script>');
    for (const [file, type] of [['app.js', 'text/javascript'], ['style.css', 'text/css']]) {
      const r = await fetch(`${base}/ops/${file}`);
      expect([r.status, r.headers.get('content-type')?.split(';')[0]]).toEqual([200, type]);
    }
    expect(await (await fetch(`${base}/elsewhere`)).text()).toBe('the app itself');
    const api = (await (await fetch(`${base}/ops/api/overview`)).json()) as { queues: Array<{ name: string; workers: number }> };
    const direct = await env.admin.overview();
    expect(api.queues.map((q) => [q.name, q.workers])).toEqual(direct.queues.map((q) => [q.name, q.workers]));
    expect(await (await fetch(`${base}/ops/api/config`)).json()).toMatchObject({ actions: false, prefix: env.prefix });
  });

  it('lists dead letters with the CLI filters, shows one, and lists running calls', async () => {
    env = await opsEnv();
    await env.deadLetters(2);
    const base = await mounted(env);
    const list = (await (await fetch(`${base}/ops/api/queues/users/dead?where=user.id%3D2`)).json()) as { total: number; letters: Array<{ id: string; input: unknown }> };
    expect(list.total).toBe(2);
    expect(list.letters.map((l) => l.input)).toEqual([{ user: { id: 2, email: 'user2@example.com' } }]);
    const one = (await (await fetch(`${base}/ops/api/queues/users/dead/${list.letters[0]?.id}`)).json()) as { task: string; raw: { envelope: string } };
    expect(one.task).toBe('users.sync');
    expect(one.raw.envelope).toMatch(/^\{"v":1,/);
    const slow = env.client.math.slow({ ms: 500 });
    await new Promise((r) => setTimeout(r, 150));
    const running = (await (await fetch(`${base}/ops/api/queues/default/calls?state=running`)).json()) as { calls: Array<{ task: string; input: unknown; until: number }> };
    expect(running.calls).toEqual([expect.objectContaining({ task: 'math.slow', input: { ms: 500 } })]);
    await slow;
    expect((await fetch(`${base}/ops/api/queues/nope/dead`)).status).toBe(404);
    expect(await (await fetch(`${base}/ops/api/queues/users/dead?since=whenever`)).json()).toEqual({ error: expect.stringContaining('bad time "whenever"') as unknown });
  });

  it('read-only refuses every action (403); with a token, actions need exactly it (401 otherwise)', async () => {
    env = await opsEnv();
    await env.deadLetters(1);
    const [letter] = await env.admin.deadLetters('users').list();
    const id = letter?.id ?? '';
    const readOnly = await mounted(env);
    expect(await post(`${readOnly}/ops/api/queues/users/dead/${id}/replay`)).toEqual({ status: 403, body: { error: expect.stringContaining('read-only') as unknown } });
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));

    const base = await mounted(env, { actionToken: 'sesame-0123456789' });
    expect((await post(`${base}/ops/api/queues/users/dead/${id}/purge`)).status).toBe(401);
    expect((await post(`${base}/ops/api/queues/users/dead/${id}/purge`, { Authorization: 'Bearer sesame' })).status).toBe(401);
    expect(await env.admin.deadLetters('users').count()).toBe(1);
    env.heal();
    expect(await post(`${base}/ops/api/queues/users/dead/${id}/replay`, { Authorization: 'Bearer sesame-0123456789' })).toEqual({ status: 200, body: { queue: 'users', id, replayed: 1 } });
    expect(await env.admin.deadLetters('users').count()).toBe(0);
    expect((await post(`${base}/ops/api/queues/users/dead/purge`, { Authorization: 'Bearer sesame-0123456789' }, {})).status).toBe(400);
  });

  it('with allowedHosts, a request naming another host (DNS rebinding) gets 421', async () => {
    env = await opsEnv();
    const base = await mounted(env, { allowedHosts: ['127.0.0.1', 'localhost'] });
    expect((await fetch(`${base}/ops/api/overview`)).status).toBe(200);
    const port = new URL(base).port;
    const { request } = await import('node:http');
    const status = await new Promise<number | undefined>((resolve) => {
      request({ host: '127.0.0.1', port, path: '/ops/api/overview', headers: { Host: `attacker.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).end();
    });
    expect(status).toBe(421);
  });
});

describe('taskwire dashboard', () => {
  it('serves on 127.0.0.1, prints its URL and token with --allow-actions, and exits 0 on SIGINT', async () => {
    env = await opsEnv();
    const d = new CliProcess(['dashboard', '--port', '0', '--allow-actions', '--redis', env.url, '--prefix', env.prefix]);
    const [, url] = await d.waitFor(/^taskwire dashboard: (http:\/\/127\.0\.0\.1:\d+\/) \(prefix .*\), actions allowed$/m, 15_000);
    const [, token] = await d.waitFor(/^action token: (\S+)$/m);
    expect(d.stdout).toContain(`open ${url}#token=${token} to replay and purge from this browser`);
    const o = (await (await fetch(`${url}api/overview`)).json()) as { prefix: string };
    expect(o.prefix).toBe(env.prefix);
    expect((await post(`${url}api/queues/users/dead/purge`, {}, { all: true })).status).toBe(401);
    expect(await d.stop('SIGINT')).toBe(0);
  });

  it('a port in use: one line, exit 1', async () => {
    env = await opsEnv();
    const base = await mounted(env);
    const d = new CliProcess(['dashboard', '--port', new URL(base).port, '--redis', env.url, '--prefix', env.prefix]);
    expect(await d.exited).toBe(1);
    expect(d.stderr).toBe(`taskwire dashboard: port ${new URL(base).port} on 127.0.0.1 is in use (try --port 0 for any free one)\n`);
  });
});
