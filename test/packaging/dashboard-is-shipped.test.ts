import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPacked, packedFiles, readPackageJson, type InstalledPackage } from '../support/packed-package.js';

const STATIC = ['index.html', 'app.js', 'style.css'];

describe('the dashboard ships ready to serve, with no build step for the user', () => {
  it('its page (HTML, one ES module, CSS) is in the tarball beside the compiled handler', () => {
    const files = packedFiles();
    for (const name of STATIC) expect(files).toContain(`dist/src/dashboard/static/${name}`);
    expect(files).toContain('dist/src/dashboard/index.js');
  });

  it('is its own subpath export, kept off the root export', () => {
    expect(readPackageJson().exports?.['./dashboard']).toEqual({ types: './dist/src/dashboard/index.d.ts', default: './dist/src/dashboard/index.js' });
  });

  describe('in a production install', () => {
    let installed: InstalledPackage;
    beforeAll(() => {
      installed = installPacked();
    }, 90_000);
    afterAll(() => installed?.remove());

    it('createDashboardHandler from taskwire/dashboard serves the page and its assets', () => {
      // Nothing here reaches Redis: ioredis connects lazily, and the page and assets need no data.
      const script = `
        import { createServer } from 'node:http';
        import { createDashboardHandler } from 'taskwire/dashboard';
        const handler = createDashboardHandler({ redis: { host: '127.0.0.1', port: 1, lazyConnect: true } });
        const server = createServer(handler).listen(0, '127.0.0.1', async () => {
          const base = 'http://127.0.0.1:' + server.address().port + '/';
          const out = [];
          for (const path of ['', 'app.js', 'style.css']) {
            const res = await fetch(base + path);
            out.push((path || '/') + ' ' + res.status + ' ' + res.headers.get('content-type') + ' ' + (await res.text()).length);
          }
          console.log(out.join('\\n'));
          server.close();
          await handler.close();
        });`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: installed.project, encoding: 'utf8', timeout: 20_000 });
      expect(r.stderr).toBe('');
      const rows = r.stdout.trim().split('\n').map((l) => l.split(' '));
      expect(rows.map((row) => row.slice(0, 3))).toEqual([
        ['/', '200', 'text/html;'],
        ['app.js', '200', 'text/javascript;'],
        ['style.css', '200', 'text/css;'],
      ]);
      for (const row of rows) expect(Number(row[4])).toBeGreaterThan(500);
    });
  });
});
