import { createServer, type RequestListener, type Server } from 'node:http';
import { afterEach, expect, it } from 'vitest';
import { createAdmin } from '../../src/index.js';
import { createDashboardHandler } from '../../src/dashboard/create-dashboard-handler.js';
import { createMetricsHandler } from '../../src/dashboard/create-metrics-handler.js';
import { RedisServer } from '../support/redis-server.js';

// With Redis stopped, the dashboard's API and /metrics answered 503 only after the 10 s command
// timeout (as long as Prometheus' default scrape timeout: a scrape timeout, not the 503), saying
// "Command timed out" (found by an operators' review). Once the admin's connection has failed,
// they answer at once, naming where Redis is and why it cannot be reached.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(handler: RequestListener): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

it('the dashboard API and /metrics answer 503 at once while Redis is away, naming it and the cause', async () => {
  const redis = await RedisServer.start();
  cleanups.push(() => redis.stop());
  const admin = createAdmin({ redis: redis.url });
  const dashboard = createDashboardHandler({ admin });
  const metrics = createMetricsHandler({ admin });
  cleanups.push(() => admin.close());
  const [ui, scrape] = await Promise.all([serve(dashboard), serve(metrics)]);
  expect((await fetch(`${ui}/api/overview`)).status).toBe(200);
  expect((await fetch(scrape)).status).toBe(200);
  expect(admin.connection()).toMatchObject({ ready: true, lastError: undefined });

  await redis.kill();
  await expect.poll(() => admin.connection().lastError, { timeout: 5_000 }).toMatch(/ECONNREFUSED/);
  for (const url of [`${ui}/api/overview`, `${ui}/metrics`, `${ui}/api/queues/default/dead`, scrape]) {
    const t0 = Date.now();
    const res = await fetch(url);
    expect(Date.now() - t0, url).toBeLessThan(1_000);
    expect(res.status, url).toBe(503);
    expect(await res.text(), url).toMatch(new RegExp(`cannot reach Redis at 127\\.0\\.0\\.1:${redis.port}: .*ECONNREFUSED`));
  }

  await redis.restart();
  await expect.poll(() => admin.connection().ready, { timeout: 10_000 }).toBe(true);
  expect(admin.connection().lastError).toBeUndefined();
  expect((await fetch(`${ui}/api/overview`)).status).toBe(200);
}, 30_000);
