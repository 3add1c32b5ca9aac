import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdmin, createClient, createSchedules, createWorker, isTaskwireError, router, task, type SigningOptions } from '../../src/index.js';
import { encodeCall } from '../../src/wire/envelope.js';
import { queueKeys } from '../../src/wire/keys.js';
import { superjsonSerializer } from '../../src/wire/serializer.js';
import { Signer } from '../../src/wire/signing.js';
import { inspector, pushRaw, randomPrefix, redisUrl } from '../support/redis.js';
import { runTaskwire } from '../support/cli-process.js';

/**
 * Signed messages (docs/SECURITY.md, *Signing*): with keys shared by clients, workers and the
 * admin API, whoever can only write to Redis can neither make a worker run a call nor make a
 * caller accept a result; every path that writes calls (clients, retries, follow-ups, schedules,
 * child calls, dead-letter replays) signs them, and keys rotate.
 */

const OLD = 'k-old-0123456789abcdef';
const NEW = 'k-new-fedcba9876543210';
const both: SigningOptions = { keys: { old: OLD, new: NEW }, current: 'new' };

const contract = router({
  echo: task({ input: z.object({ s: z.string(), fail: z.number().optional() }), output: z.string(), retry: { attempts: 2, backoffMs: 5 } }),
  slow: task({ input: z.object({}), output: z.string() }),
  parent: task({ input: z.object({ s: z.string() }), output: z.string() }),
  log: task({ input: z.string(), output: z.null(), queue: 'logs' }),
});

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function start(workerSigning: SigningOptions | undefined = both) {
  const prefix = randomPrefix();
  const runs: string[] = [];
  const failed = new Map<string, number>();
  const warnings: string[] = [];
  const worker = createWorker(
    contract,
    {
      echo: ({ s, fail }) => {
        runs.push(s);
        const n = failed.get(s) ?? 0;
        if (fail !== undefined && n < fail) {
          failed.set(s, n + 1);
          throw new Error('again');
        }
        return s;
      },
      slow: async () => {
        await new Promise((r) => setTimeout(r, 600));
        return 'genuine';
      },
      parent: async ({ s }, ctx) => `parent of ${await ctx.client.echo({ s })}`,
      log: (s) => {
        runs.push(`log:${s}`);
        return null;
      },
    },
    { redis: redisUrl(), prefix, logger: { warn: (m, d) => void warnings.push(`${m} ${JSON.stringify(d)}`), error: (m) => void warnings.push(m) }, ...(workerSigning ? { signing: workerSigning } : {}) },
  );
  await worker.start();
  const insp = inspector(prefix);
  cleanups.push(async () => {
    await worker.close();
    await insp.cleanup();
  });
  const client = (signing: SigningOptions | undefined = both, replyMode: 'key' | 'pubsub' = 'key') => {
    const c = createClient(contract, { redis: redisUrl(), prefix, replyMode, logger: { warn: (m) => void warnings.push(m), error: () => undefined }, ...(signing ? { signing } : {}) });
    cleanups.push(() => c.$close());
    return c;
  };
  return { prefix, worker, client, runs, warnings, redis: insp.redis, keys: queueKeys(prefix, 'default') };
}

const deadReasons = async (e: Awaited<ReturnType<typeof start>>) =>
  (await e.redis.xrange(e.keys.dead, '-', '+')).map(([, fields]) => fields[fields.indexOf('reason') + 1]);

it('signs every call and reply on every path: plain, large input and output, retries, idempotency followers, detached results, follow-ups, child calls, schedules, replays', async () => {
  const e = await start();
  const c = e.client();
  expect(await c.echo({ s: 'plain' })).toBe('plain');
  const big = 'x'.repeat(20_000);
  expect(await c.echo({ s: big })).toBe(big);
  expect(await c.echo({ s: 'retried', fail: 1 })).toBe('retried');
  const [a, b] = await Promise.all([c.echo({ s: 'idem' }, { idempotencyKey: 'same' }), c.echo({ s: 'idem' }, { idempotencyKey: 'same' })]);
  expect([a, b]).toEqual(['idem', 'idem']);
  const sent = await c.echo.send({ s: 'detached' }, { then: 'log' });
  expect(await c.echo.result(sent.id)).toBe('detached');
  expect(await c.log.result(sent.followUps.then ?? '')).toBeNull();
  expect(await c.parent({ s: 'child' })).toBe('parent of child');
  const schedules = createSchedules(contract, { redis: redisUrl(), prefix: e.prefix });
  cleanups.push(() => schedules.close());
  await schedules.upsert('log', { id: 'tick', input: 'tick', everyMs: 100 });
  await expect.poll(() => e.runs.includes('log:tick'), { timeout: 5_000 }).toBe(true);
  await schedules.remove('tick');
  // A dead letter replayed by an admin holding the keys runs; its signature is the admin's.
  const admin = createAdmin({ redis: redisUrl(), prefix: e.prefix, signing: both });
  cleanups.push(() => admin.close());
  const dead = encodeCall({ id: 'dl.1', task: 'echo', input: superjsonSerializer.serialize({ s: 'replayed' }), deadline: Date.now() + 10_000, attempt: 2, sentAt: Date.now() });
  await e.redis.xadd(e.keys.dead, '*', 'reason', 'ATTEMPTS_EXHAUSTED', 'id', 'dl.1', 'envelope', dead, 'at', '1');
  const [letter] = await admin.deadLetters('default').list();
  expect(await admin.deadLetters('default').replay(letter?.id ?? '')).toBe(true);
  await expect.poll(() => e.runs.includes('replayed')).toBe(true);
  // Nothing refused on any path (the retried call's first failure is the only news).
  expect(e.warnings.filter((w) => !w.startsWith('taskwire: echo failed'))).toEqual([]);
}, 20_000);

it('sets aside forged, tampered, unknown-key and replayed calls before they are parsed or run', async () => {
  const e = await start();
  const now = Date.now();
  const call = (id: string, s: string) => encodeCall({ id, task: 'echo', input: superjsonSerializer.serialize({ s }), deadline: now + 10_000, attempt: 1, sentAt: now });
  const signer = new Signer(both, 'test');
  const stranger = new Signer({ keys: { other: 'z'.repeat(32) }, current: 'other' }, 'test');
  const signed = signer.signCall(call('ok.1', 'genuine'));
  await pushRaw(
    e.redis,
    e.keys,
    call('forged.1', 'forged'),
    signer.signCall(call('tampered.1', 'original')).replace('original', 'tampered'),
    stranger.signCall(call('stranger.1', 'stranger')),
    signed,
  );
  await expect.poll(() => e.runs).toEqual(['genuine']);
  // The same signed bytes again, after it ran: a replay.
  await pushRaw(e.redis, e.keys, signed);
  await expect.poll(async () => (await deadReasons(e)).length, { timeout: 5_000 }).toBe(4);
  expect((await deadReasons(e)).sort()).toEqual([
    'REPLAYED: this call ran already',
    'SIGNATURE: bad signature (tampered, or signed with another secret)',
    'SIGNATURE: unknown signing key "other"',
    'SIGNATURE: unsigned',
  ]);
  expect(e.runs).toEqual(['genuine']);

  // A stored input swapped under a signed envelope.
  const input = JSON.stringify(superjsonSerializer.serialize({ s: 'y'.repeat(10_000) }));
  const stored = signer.signCall(encodeCall({ id: 'stored.1', task: 'echo', stored: 1, deadline: now + 10_000, attempt: 1, sentAt: now }), input);
  await e.redis.set(e.keys.input('stored.1'), input.replace('yyyy', 'zzzz'), 'PX', 60_000);
  await pushRaw(e.redis, e.keys, stored);
  await expect.poll(async () => (await deadReasons(e)).includes('SIGNATURE: the stored input is not the one signed'), { timeout: 5_000 }).toBe(true);
  expect(e.runs).toEqual(['genuine']);
});

it('makes a caller refuse a forged reply and wait for the real one', async () => {
  const e = await start();
  const ids: string[] = [];
  const c = createClient(contract, { redis: redisUrl(), prefix: e.prefix, replyMode: 'pubsub', signing: both, interceptors: [{ prepare: (call) => void ids.push(call.id) }], logger: { warn: (m) => void e.warnings.push(m), error: () => undefined } });
  cleanups.push(() => c.$close());
  expect(await c.echo({ s: 'warm' })).toBe('warm');
  const pending = c.slow({});
  const id = ids[ids.length - 1] ?? '';
  await e.redis.publish(`${e.prefix}:reply:${c.$id}`, `{"v":1,"id":"${id}","ok":true,"output":{"json":"forged"}}`);
  await e.redis.publish(`${e.prefix}:reply:${c.$id}`, new Signer({ keys: { new: 'q'.repeat(32) }, current: 'new' }, 't').signReply(`{"v":1,"id":"${id}","ok":true,"output":{"json":"forged"}}`));
  expect(await pending).toBe('genuine');
  expect(e.warnings.filter((w) => w.includes('a reply was refused'))).toHaveLength(2);
});

it('rotates keys: old and new are both accepted while both are listed; a key removed is refused', async () => {
  const e = await start({ keys: { old: OLD, new: NEW }, current: 'new' });
  // A client still on the old key, which knows the new one (step 1 of a rotation).
  const stillOld = e.client({ keys: { old: OLD, new: NEW }, current: 'old' });
  expect(await stillOld.echo({ s: 'old key' })).toBe('old key');
  // A client that has only the old key rejects the worker's new signatures: step 1 first.
  const onlyOld = e.client({ keys: { old: OLD }, current: 'old' });
  const refused = await onlyOld.echo({ s: 'unheard' }, { timeoutMs: 800 }).catch((err: unknown) => err);
  expect(isTaskwireError(refused) && refused.code).toBe('TIMEOUT');
  // The worker without the old key (the last step) refuses a call signed with it.
  const e2 = await start({ keys: { new: NEW }, current: 'new' });
  const late = e2.client({ keys: { old: OLD, new: NEW }, current: 'old' });
  const err = await late.echo({ s: 'late' }, { timeoutMs: 800 }).catch((x: unknown) => x);
  expect(isTaskwireError(err) && err.code).toBe('TIMEOUT');
  await expect.poll(async () => deadReasons(e2)).toEqual(['SIGNATURE: unknown signing key "old"']);
});

it('rolls out with acceptUnsigned, and refuses bad signing options at creation', async () => {
  const e = await start({ ...both, acceptUnsigned: true });
  expect(await e.client(undefined).echo({ s: 'unsigned caller' })).toBe('unsigned caller');
  const unsignedWorker = await start(undefined);
  expect(await unsignedWorker.client({ ...both, acceptUnsigned: true }).echo({ s: 'unsigned worker' })).toBe('unsigned worker');
  const bads: SigningOptions[] = [
    { keys: {}, current: 'x' },
    { keys: { a: 'short' }, current: 'a' },
    { keys: { a: 'x'.repeat(16) }, current: 'b' },
    { keys: { 'a b': 'x'.repeat(16) }, current: 'a b' },
  ];
  for (const bad of bads) {
    expect(() => createClient(contract, { redis: redisUrl(), signing: bad })).toThrow(/VALIDATION|signing/);
  }
});

it('signs what the CLI writes with keys from TASKWIRE_SIGNING_KEYS: a replayed dead letter runs; without them it is refused', async () => {
  const e = await start();
  const now = Date.now();
  const letter = (id: string, s: string) =>
    e.redis.xadd(e.keys.dead, '*', 'reason', 'ATTEMPTS_EXHAUSTED', 'id', id, 'envelope', encodeCall({ id, task: 'echo', input: superjsonSerializer.serialize({ s }), deadline: now + 10_000, attempt: 2, sentAt: now }), 'at', '1');
  const as = ['--redis', redisUrl(), '--prefix', e.prefix];
  await letter('cli.1', 'from the cli');
  const signed = await runTaskwire(['dlq', 'replay', 'default', '--all', '--yes', ...as], { env: { TASKWIRE_SIGNING_KEYS: `old=${OLD},new=${NEW}`, TASKWIRE_SIGNING_CURRENT: 'new' } });
  expect([signed.status, signed.stderr]).toEqual([0, '']);
  await expect.poll(() => e.runs.includes('from the cli')).toBe(true);
  await letter('cli.2', 'unsigned');
  const unsigned = await runTaskwire(['dlq', 'replay', 'default', '--all', '--yes', ...as]);
  expect(unsigned.status).toBe(0);
  await expect.poll(async () => (await deadReasons(e)).includes('SIGNATURE: unsigned')).toBe(true);
  expect(e.runs).not.toContain('unsigned');
  const bad = await runTaskwire(['inspect', ...as], { env: { TASKWIRE_SIGNING_KEYS: 'nope' } });
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('TASKWIRE_SIGNING_KEYS');
});

it('signs the CANCELLED outcomes scripts write for calls that never ran: joiners of a withdrawn idempotent call and followers of a dropped detached call get them at once, not TIMEOUT', async () => {
  const prefix = randomPrefix();
  const insp = inspector(prefix);
  const warnings: string[] = [];
  const logger = { warn: (m: string) => void warnings.push(m), error: () => undefined };
  // No worker yet: the calls wait in the queue.
  const owner = createClient(contract, { redis: redisUrl(), prefix, noWorkers: 'wait', signing: both, logger });
  const joiner = createClient(contract, { redis: redisUrl(), prefix, noWorkers: 'wait', signing: both, logger });
  let worker: ReturnType<typeof createWorker> | undefined;
  cleanups.push(async () => {
    await Promise.all([owner.$close(), joiner.$close(), worker?.close()]);
    await insp.cleanup();
  });

  // The owner gives up (its call is withdrawn): the joiner is told by withdraw-7, signed.
  const first = owner.echo({ s: 'idem' }, { idempotencyKey: 'k', timeoutMs: 400 }).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  const joined = await joiner.echo({ s: 'idem' }, { idempotencyKey: 'k', timeoutMs: 5_000 }).catch((e: unknown) => e);
  expect(isTaskwireError(await first) && (await first as { code: string }).code).toBe('TIMEOUT');
  expect(isTaskwireError(joined) && [joined.code, joined.message]).toEqual(['CANCELLED', 'the call this one joined (same idempotency key) was withdrawn before it ran: send it again']);
  expect(Date.now() - t0).toBeLessThan(2_000);

  // A detached call whose cancellation raced its take (its id marked, the call still queued):
  // the take drops it and stores CANCELLED, signed, for its followers.
  const sent = await owner.echo.send({ s: 'dropped' });
  await insp.redis.zadd(queueKeys(prefix, 'default').cancelled, Date.now() + 60_000, sent.id);
  const followed = joiner.echo.result(sent.id, { timeoutMs: 5_000 }).catch((e: unknown) => e);
  const runs: string[] = [];
  worker = createWorker(contract, { echo: ({ s }) => (runs.push(s), s), slow: () => 'x', parent: () => 'x', log: () => null }, { redis: redisUrl(), prefix, logger, signing: both });
  const t1 = Date.now();
  await worker.start();
  const outcome = await followed;
  expect(isTaskwireError(outcome) && [outcome.code, outcome.message]).toEqual(['CANCELLED', 'the call was cancelled before it ran']);
  expect(Date.now() - t1).toBeLessThan(2_000);
  expect(runs).toEqual([]);
  expect(warnings).toEqual([]);
});
