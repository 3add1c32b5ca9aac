import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createWorker, isTaskError, isTaskwireError, router, task } from '../../src/index.js';
import { detachedContract } from './detached-contract.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

/** Detached calls: send(), result() from any process, status (src/client/detached.ts). */

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function start(options: { worker?: boolean } = {}) {
  const prefix = randomPrefix();
  let release = () => undefined as void;
  const held = new Promise<void>((r) => (release = r));
  const signals: AbortSignal[] = [];
  const worker = createWorker(
    detachedContract,
    {
      report: async ({ name, fail, hold }, ctx) => {
        signals.push(ctx.signal);
        if (hold) await Promise.race([held, new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)))]);
        if (fail) throw ctx.error('EMPTY', { name });
        return { name, at: new Date(1_700_000_000_000) };
      },
      other: () => null,
    },
    { redis: redisUrl(), prefix, logger: quietLogger },
  );
  if (options.worker !== false) await worker.start();
  const client = createClient(detachedContract, { redis: redisUrl(), prefix, noWorkers: 'wait' });
  const insp = inspector(prefix);
  cleanups.push(async () => {
    release();
    await client.$close();
    await worker.close();
    await insp.cleanup();
  });
  return { prefix, worker, client, release, signals };
}

it('resolves send() once Redis has the call, and result() to its typed output; status follows it', async () => {
  const { client, release } = await start();
  const handle = await client.report.send({ name: 'q3', hold: true });
  expect(handle.id).toMatch(/^[\w-]+\.\w+$/);
  await expect.poll(async () => (await handle.status()).state).toBe('running');
  expect(await handle.status()).toMatchObject({ state: 'running', task: 'report', attempt: 1 });
  release();
  const out = await handle.result();
  expect(out).toEqual({ name: 'q3', at: new Date(1_700_000_000_000) });
  expect(await client.report.status(handle.id)).toMatchObject({ state: 'succeeded', task: 'report' });
  // Any number of times, from the stored outcome.
  expect((await client.report.result(handle.id)).name).toBe('q3');
});

it('keeps a failure as the typed error, for result() and status()', async () => {
  const { client } = await start();
  const handle = await client.report.send({ name: 'none', fail: true });
  const err = await handle.result().catch((e: unknown) => e);
  expect(isTaskError(err, detachedContract.report, 'EMPTY') && err.data.name).toBe('none');
  const status = await client.$status(handle.id);
  expect(status.state).toBe('failed');
  expect(status.error?.code).toBe('EMPTY');
});

it('says waiting for a call no worker has taken, and unknown for an id it never saw (never "waiting")', async () => {
  const { client } = await start({ worker: false });
  const handle = await client.report.send({ name: 'later' });
  expect(await handle.status()).toMatchObject({ state: 'waiting', task: 'report' });
  const delayed = await client.report.send({ name: 'later' }, { delayMs: 60_000 });
  expect((await delayed.status()).state).toBe('delayed');
  expect(await client.$status('nobody.1')).toEqual({ id: 'nobody.1', state: 'unknown' });
  const err = await client.report.result('nobody.1').catch((e: unknown) => e);
  expect(isTaskwireError(err) && err.code).toBe('UNKNOWN_CALL');
});

it('refuses result() of an id of another task, and times out waiting without stopping the call', async () => {
  const { client, release } = await start();
  const handle = await client.report.send({ name: 'x', hold: true });
  const wrong = await client.other.result(handle.id).catch((e: unknown) => e);
  expect(isTaskwireError(wrong) && wrong.code).toBe('VALIDATION');
  expect((wrong as Error).message).toContain('is a call of report');
  const waited = await handle.result({ timeoutMs: 200 }).catch((e: unknown) => e);
  expect(isTaskwireError(waited) && waited.code).toBe('TIMEOUT');
  release();
  expect((await handle.result()).name).toBe('x');
});

it('cancels a running detached call through its handle: its handler is aborted and its outcome is CANCELLED', async () => {
  const { client, signals } = await start();
  const handle = await client.report.send({ name: 'stop', hold: true });
  await expect.poll(() => signals.length).toBe(1);
  await handle.cancel();
  await expect.poll(() => signals[0]?.aborted).toBe(true);
  const err = await handle.result().catch((e: unknown) => e);
  expect(isTaskwireError(err) && err.code).toBe('CANCELLED');
});

it('cancels a queued or delayed detached call: whoever awaits it gets CANCELLED at once, and it never runs', async () => {
  const { client, worker, signals } = await start({ worker: false });
  const queued = await client.report.send({ name: 'queued' });
  const delayed = await client.report.send({ name: 'later' }, { delayMs: 60_000 });
  // A follower already waiting (another process would do the same) is answered too.
  const waiting = client.report.result(queued.id).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 50));
  const started = Date.now();
  await Promise.all([queued.cancel(), delayed.cancel()]);
  const [a, b] = await Promise.all([waiting, delayed.result().catch((e: unknown) => e)]);
  expect(Date.now() - started).toBeLessThan(2_000);
  expect([isTaskwireError(a) && a.code, isTaskwireError(b) && b.code]).toEqual(['CANCELLED', 'CANCELLED']);
  expect(await client.$status(queued.id)).toMatchObject({ state: 'failed', error: { code: 'CANCELLED' } });
  await worker.start();
  await new Promise((r) => setTimeout(r, 300));
  expect(signals).toEqual([]);
});

it('keeps a queued call known past a short resultTtlMs, and refuses status() of another task\'s call', async () => {
  const { client } = await start({ worker: false });
  const later = await client.report.send({ name: 'later' }, { delayMs: 5_000, resultTtlMs: 100 });
  await new Promise((r) => setTimeout(r, 300));
  expect((await later.status()).state).toBe('delayed');
  const wrong = await client.other.status(later.id).catch((e: unknown) => e);
  expect(isTaskwireError(wrong) && wrong.code).toBe('VALIDATION');
});

it('forgets an outcome after resultTtlMs', async () => {
  const { client } = await start();
  const handle = await client.report.send({ name: 'short' }, { resultTtlMs: 300 });
  expect((await handle.result()).name).toBe('short');
  await new Promise((r) => setTimeout(r, 500));
  expect((await handle.status()).state).toBe('unknown');
  const err = await handle.result().catch((e: unknown) => e);
  expect(isTaskwireError(err) && err.code).toBe('UNKNOWN_CALL');
});

it('runs a call sent by a process that exited, and another process awaits its outcome by id', async () => {
  const { prefix, client } = await start();
  const dir = mkdtempSync(join(tmpdir(), 'taskwire-detached-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'send.mts');
  const contractFile = fileURLToPath(new URL('./detached-contract.ts', import.meta.url));
  const src = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
  writeFileSync(
    script,
    `import { createClient } from ${JSON.stringify(src)};
     import { detachedContract } from ${JSON.stringify(contractFile)};
     await using client = createClient(detachedContract, { redis: process.env.REDIS_URL!, prefix: ${JSON.stringify(prefix)} });
     const handle = await client.report.send({ name: 'from-elsewhere' });
     console.log(handle.id);`,
  );
  const run = spawnSync(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, REDIS_URL: redisUrl() }, encoding: 'utf8', timeout: 20_000 });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const id = run.stdout.trim();
  expect((await client.report.result(id)).name).toBe('from-elsewhere');
  expect(((await client.$result(id)) as { name: string }).name).toBe('from-elsewhere');
});

it('gives a detached call cancelled during its retry backoff CANCELLED as its outcome (the retry is dropped unrun)', async () => {
  const prefix = randomPrefix();
  const flakyContract = router({ flaky: task({ input: z.object({}), output: z.string(), retry: { attempts: 3, backoffMs: 400 } }) });
  let runs = 0;
  const worker = createWorker(flakyContract, { flaky: () => { runs++; throw new Error('not yet'); } }, { redis: redisUrl(), prefix, logger: quietLogger });
  await worker.start();
  const client = createClient(flakyContract, { redis: redisUrl(), prefix });
  const insp = inspector(prefix);
  cleanups.push(async () => {
    await client.$close();
    await worker.close();
    await insp.cleanup();
  });
  const handle = await client.flaky.send({});
  await expect.poll(() => runs).toBe(1);
  // The retry waits in `delayed` under another envelope (attempt 2): the cancel is announced.
  await handle.cancel();
  const t0 = Date.now();
  const err = await handle.result({ timeoutMs: 5_000 }).catch((e: unknown) => e);
  expect(isTaskwireError(err) && err.code).toBe('CANCELLED');
  expect(Date.now() - t0).toBeLessThan(3_000);
  expect(runs).toBe(1);
});
