import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliProcess } from '../support/cli-process.js';
import { opsEnv, type OpsEnv } from '../support/ops-env.js';

/**
 * The dashboard end to end in headless Chromium (Debian's, driven by playwright-core): the page
 * `taskwire dashboard` serves, against a real worker. Every wait is bounded. With
 * TASKWIRE_SCREENSHOT=<file>, it also saves the main page (docs/dashboard.png comes from here).
 */
const CHROMIUM = '/usr/bin/chromium';
const WAIT = { timeout: 10_000 };

let env: OpsEnv;
let dashboard: CliProcess;
let url: string;
let token: string;
let context: BrowserContext;
let profile: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  profile = mkdtempSync(join(tmpdir(), 'taskwire-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 20_000,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 30_000);

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const cell = (page: Page, queue: string, field: string) => page.locator(`#queues tr[data-queue="${queue}"] td[data-field="${field}"]`);

async function seeText(selector: ReturnType<typeof cell>, text: RegExp): Promise<void> {
  await selector.filter({ hasText: text }).waitFor(WAIT);
}

describe('the dashboard in a browser', () => {
  beforeAll(async () => {
    env = await opsEnv({ startWorker: false });
    dashboard = new CliProcess(['dashboard', '--port', '0', '--allow-actions', '--refresh', '250', '--redis', env.url, '--prefix', env.prefix], { inTest: false });
    [, url = ''] = await dashboard.waitFor(/^taskwire dashboard: (http:\/\/127\.0\.0\.1:\d+\/) /m, 15_000);
    [, token = ''] = await dashboard.waitFor(/^action token: (\S+)$/m);
  }, 30_000);
  afterAll(async () => {
    await dashboard?.stop('SIGINT').catch(() => dashboard.kill());
    await env?.cleanup();
  });

  it("shows a queue's counts change as calls run, without a reload", async () => {
    const page = await context.newPage();
    try {
      const calls = Array.from({ length: 4 }, (_, i) => env.client.math.add({ a: i, b: 1 }, { timeoutMs: 20_000 }));
      await page.goto(`${url}#token=${token}`, WAIT);
      await seeText(cell(page, 'default', 'waiting'), /^4$/);
      await seeText(cell(page, 'default', 'workers'), /^0$/);
      await env.worker.start();
      await Promise.all(calls);
      await seeText(cell(page, 'default', 'waiting'), /^0$/);
      await seeText(cell(page, 'default', 'workers'), /^1$/);
      await seeText(cell(page, 'default', 'callsPerSecond'), /^0\.0[1-9]|^0\.[1-9]|^[1-9]/);
      await page.locator('#workers tbody tr').first().waitFor(WAIT);
      expect(await page.locator('#workers tbody tr').first().textContent()).toContain(String(process.pid));
      // The token moved from the URL to this tab's storage.
      expect(new URL(page.url()).hash).toBe('');
    } finally {
      await page.close();
    }
  });

  it('replays a dead letter by clicking, and the replayed call succeeds', async () => {
    const page = await context.newPage();
    try {
      await env.deadLetters(2, 41);
      await page.goto(`${url}#token=${token}`, WAIT);
      await seeText(cell(page, 'users', 'dead'), /^2$/);
      await page.locator('#queues tr[data-queue="users"]').click(WAIT);
      const row = page.locator('#dead tbody tr', { hasText: 'user41@example.com' });
      await row.click(WAIT);
      await page.locator('#letter-input', { hasText: '"email": "user41@example.com"' }).waitFor(WAIT);
      await page.locator('#letter-error', { hasText: 'INTERNAL: sync of user41@example.com failed' }).waitFor(WAIT);
      if (process.env['TASKWIRE_SCREENSHOT']) await page.screenshot({ path: process.env['TASKWIRE_SCREENSHOT'], fullPage: true });

      env.heal();
      const before = env.worker.stats.succeeded;
      await page.locator('#replay-one').click(WAIT);
      await page.locator('#toast[data-kind="ok"]', { hasText: /^replayed \d+-\d+$/ }).waitFor(WAIT);
      await seeText(cell(page, 'users', 'dead'), /^1$/);
      await page.locator('#dead tbody tr', { hasText: 'user41@example.com' }).waitFor({ state: 'detached', ...WAIT });
      for (let t = 0; t < 100 && env.worker.stats.succeeded === before; t++) await new Promise((r) => setTimeout(r, 50));
      expect(env.worker.stats.succeeded).toBe(before + 1);
    } finally {
      await page.close();
    }
  });

  it('refuses actions without the token, and says so', async () => {
    const page = await context.newPage();
    try {
      // No #token: this tab never had one.
      await page.goto(url, WAIT);
      await page.locator('#mode', { hasText: 'actions need the token' }).waitFor(WAIT);
      await seeText(cell(page, 'users', 'dead'), /^[1-9]/);
      const dead = Number(await cell(page, 'users', 'dead').textContent());
      await page.locator('#queues tr[data-queue="users"]').click(WAIT);
      await page.locator('#dead tbody tr').first().click(WAIT);
      await page.locator('#letter:not([hidden])').waitFor(WAIT);
      await page.locator('#replay-one').click(WAIT);
      await page.locator('#toast[data-kind="error"]', { hasText: 'this action needs the token the dashboard printed' }).waitFor(WAIT);
      expect(await env.admin.deadLetters('users').count()).toBe(dead);
      // A wrong token is no better.
      await page.fill('#token', 'not-the-token');
      await page.click('#token-form button');
      await page.locator('#replay-one').click(WAIT);
      await page.locator('#toast[data-kind="error"]', { hasText: 'needs the token' }).waitFor(WAIT);
      expect(await env.admin.deadLetters('users').count()).toBe(dead);
    } finally {
      await page.close();
    }
  });
});
