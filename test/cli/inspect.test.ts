import { createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdmin } from '../../src/index.js';
import { ownPackage } from '../../src/own-package.js';
import { CliProcess, lines, onTerminal, taskwire } from '../support/cli-process.js';
import { setup } from '../support/fixtures.js';
import { freePort } from '../support/redis-server.js';

type Env = Awaited<ReturnType<typeof setup>>;
let env: Env | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

/** A worker serving only `default`, and calls left waiting on `images`, which nobody serves. */
async function queuesWithWaitingCalls(waiting: number) {
  env = await setup({ worker: { queues: ['default'], concurrency: 5 }, client: { noWorkers: 'wait' } });
  const e = env;
  for (let i = 0; i < waiting; i++) void e.client.tasks.resize({ url: `https://x.test/${i}.png`, width: 10 }, { timeoutMs: 20_000 }).catch(() => undefined);
  await Promise.all(Array.from({ length: 12 }, (_, i) => e.client.math.add({ a: i, b: 1 })));
  const admin = createAdmin({ redis: e.url, prefix: e.prefix });
  for (let t = 0; t < 100 && (await admin.counts('images')).waiting < waiting; t++) await new Promise((r) => setTimeout(r, 20));
  await admin.close();
  return e;
}

describe('taskwire inspect', () => {
  it("shows each queue's counts, calls per second, the oldest waiting call's age, and the live worker's host, pid, version and concurrency", async () => {
    const e = await queuesWithWaitingCalls(2);
    await new Promise((r) => setTimeout(r, 1_100)); // a maintenance tick writes the worker's throughput
    const { status, stdout, stderr } = taskwire(['inspect', '--redis', e.url, '--prefix', e.prefix]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const row = (name: string) => stdout.split('\n').find((l) => l.startsWith(`${name} `))?.trim().split(/\s+/);
    // QUEUE WAITING RUNNING DELAYED DEAD WORKERS CALLS/S OLDEST
    expect(row('default')?.slice(0, 6)).toEqual(['default', '0', '0', '0', '0', '1']);
    expect(Number(row('default')?.[6])).toBe(0.2); // 12 calls over the last minute
    expect(row('images')?.slice(0, 6)).toEqual(['images', '2', '0', '0', '0', '0']);
    expect(row('images')?.[7]).toMatch(/^\d+(\.\d)?s$|^\d+ms$/);
    const worker = stdout.split('\n').find((l) => l.startsWith(e.worker.id.slice(0, 8)));
    expect(worker?.split(/\s+/).slice(0, 6)).toEqual([e.worker.id.slice(0, 8), hostname(), String(process.pid), ownPackage().version, '0/5', 'default']);
  });

  it('--json prints the very overview admin.overview() returns: one source of figures', async () => {
    const e = await queuesWithWaitingCalls(1);
    const { status, stdout } = taskwire(['inspect', '--json', '--redis', e.url, '--prefix', e.prefix]);
    expect(status).toBe(0);
    const printed = JSON.parse(stdout) as Record<string, unknown>;
    const admin = createAdmin({ redis: e.url, prefix: e.prefix });
    const direct = await admin.overview();
    await admin.close();
    // Ages and clocks move between the two reads; every count and name must agree.
    const stable = (o: unknown) => JSON.parse(JSON.stringify(o, (k, v: unknown) => (['at', 'until', 'oldestWaitingMs', 'heartbeatAgeMs', 'callsPerSecond', 'succeeded', 'failed'].includes(k) ? 0 : v))) as unknown;
    expect(stable(printed)).toEqual(stable(direct));
    expect(Object.keys(printed)).toEqual(['prefix', 'at', 'workerTtlMs', 'queues', 'workers']);
  });

  it('--watch redraws as the counts change and stops on SIGINT with exit 0', async () => {
    const e = await queuesWithWaitingCalls(1);
    const watch = new CliProcess(['inspect', '--watch', '--json', '--interval', '0.2', '-q', 'images', '--redis', e.url, '--prefix', e.prefix]);
    await watch.waitFor(/"waiting":1,/);
    void e.client.tasks.resize({ url: 'https://x.test/more.png', width: 10 }, { timeoutMs: 20_000 }).catch(() => undefined);
    await watch.waitFor(/"waiting":2,/);
    expect(await watch.stop('SIGINT')).toBe(0);
    const frames = watch.stdout.trim().split('\n').map((l) => JSON.parse(l) as { queues: Array<{ name: string }> });
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames.every((f) => f.queues.length === 1 && f.queues[0]?.name === 'images')).toBe(true);
  });

  it('--watch on a terminal redraws in place', async () => {
    const e = await queuesWithWaitingCalls(1);
    const r = onTerminal(['inspect', '--watch', '--interval', '0.2', '--redis', e.url, '--prefix', e.prefix], { wrap: 'timeout --preserve-status -s INT 2' });
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('\x1b[2J\x1b[H')).toBe(true);
    // Later frames go back to the top instead of scrolling.
    expect(r.stdout.split('\x1b[H').length).toBeGreaterThanOrEqual(4);
    expect(r.stdout.split('QUEUE').length).toBeGreaterThanOrEqual(4);
  });
});

describe('taskwire inspect on bad input: one line, non-zero exit, no hang', () => {
  it('an unreachable Redis: exit 1 within a few seconds', async () => {
    const port = await freePort();
    const r = taskwire(['inspect', '--redis', `redis://127.0.0.1:${port}`]);
    expect(lines(r.stderr)).toEqual([`taskwire inspect: cannot reach Redis at redis://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
  });

  it('a server that accepts the connection and never answers: exit 1 after the connect bound, not a hang', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const r = taskwire(['inspect', '--redis', `redis://127.0.0.1:${port}`], { timeoutMs: 15_000 });
      expect(r.status).toBe(1);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(/^taskwire inspect: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/?: /);
      expect(r.ms).toBeLessThan(8_000);
    } finally {
      silent.close();
    }
  });

  it('a wrong prefix says no queue is under it', async () => {
    env = await setup();
    const r = taskwire(['inspect', '--redis', env.url, '--prefix', `${env.prefix}-typo`]);
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^taskwire inspect: no queue under prefix "${env.prefix}-typo" at .*is --prefix right\\?`)) as unknown]);
  });

  it('an unknown queue names the ones that exist', async () => {
    env = await setup();
    const r = taskwire(['inspect', '-q', 'imagez', '--redis', env.url, '--prefix', env.prefix]);
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual([`taskwire inspect: unknown queue "imagez" under prefix "${env.prefix}" (queues: default, images)`]);
  });

  it.each([
    [['inspect', '--redis', 'localhost:6379'], /^taskwire inspect: bad Redis URL "localhost:6379": the scheme must be redis:\/\/ or rediss:\/\/$/],
    [['inspect', '--redis', 'redis://u:hunter2@127.0.0.1:1', '--interval', 'x', '--watch'], /^taskwire inspect: bad --interval "x": seconds between 0\.1 and 3600$/],
    [['inspect', '--frobnicate'], /^taskwire inspect: unknown option '--frobnicate' \(see taskwire inspect --help\)$/],
    [['inspect', '-q', 'bad name'], /^taskwire inspect: bad queue name "bad name": /],
  ])('wrong usage %j: exit 2 and one line', (args, message) => {
    const r = taskwire(args);
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(message) as unknown]);
    expect(r.stderr).not.toContain('hunter2');
  });

  it('--help describes the command and exits 0', () => {
    const r = taskwire(['inspect', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: taskwire inspect [options]');
    expect(r.stdout).toContain('--watch');
    expect(r.stdout).toContain('--redis <url>');
  });
});
