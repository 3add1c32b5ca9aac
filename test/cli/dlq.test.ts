import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { queueKeys } from '../../src/wire/keys.js';
import { encodeCall } from '../../src/wire/envelope.js';
import { lines, onTerminal, taskwire } from '../support/cli-process.js';
import { opsEnv, type OpsEnv } from '../support/ops-env.js';

let env: OpsEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

const on = (e: OpsEnv) => ['--redis', e.url, '--prefix', e.prefix];

interface View {
  id: string;
  task: string;
  reason: string;
  input: { user: { id: number; email: string } };
  error: { code: string; message: string };
}

describe('taskwire dlq list and show', () => {
  it('lists dead letters decoded, filtered by task, reason, since and a field of the decoded input', async () => {
    env = await opsEnv();
    await env.deadLetters(3);
    const all = taskwire(['dlq', 'list', 'users', ...on(env)]);
    expect(all.stderr).toBe('');
    expect(all.status).toBe(0);
    expect(all.stdout).toMatch(/^ID +AT \(UTC\) +TASK +REASON +ATTEMPT +ERROR +INPUT$/m);
    expect(all.stdout.match(/users\.sync +ATTEMPTS_EXHAUSTED +2 +INTERNAL: sync of user\d@example\.com/g)).toHaveLength(3);
    expect(all.stdout).toContain('3 dead letters shown; queue "users" holds 3');

    const json = (args: string[]) => JSON.parse(taskwire(['dlq', 'list', 'users', '--json', ...args, ...on(env as OpsEnv)]).stdout) as View[];
    // Each filter's rules are tested alone (test/admin/dead-letter-filter.test.ts); here, that the flags reach them.
    expect(json(['--where', 'user.id=2']).map((v) => v.input.user.email)).toEqual(['user2@example.com']);
    expect(json(['--where', 'user.email~USER3@', '--task', 'users.sync', '--reason', 'ATTEMPTS_EXHAUSTED', '--since', '5m']).map((v) => v.input.user.id)).toEqual([3]);
    expect(json(['--since', '2999-01-01'])).toEqual([]);
    const limited = json(['--limit', '2', '--reason', 'ATTEMPTS_EXHAUSTED']);
    expect(limited).toHaveLength(2);
    const [first] = limited;
    expect(first).toMatchObject({ task: 'users.sync', reason: 'ATTEMPTS_EXHAUSTED', error: { code: 'INTERNAL', message: expect.stringContaining('upstream said 503') as unknown } });
  });

  it('show prints one dead letter in full; an unknown id fails with exit 1, a malformed one with exit 2', async () => {
    env = await opsEnv();
    await env.deadLetters(1, 7);
    const [letter] = await env.admin.deadLetters('users').list();
    const id = letter?.id ?? '';
    const shown = taskwire(['dlq', 'show', 'users', id, ...on(env)]);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain(`id        ${id}\nqueue     users\ntask      users.sync\n`);
    expect(shown.stdout).toContain('error     INTERNAL: sync of user7@example.com failed: upstream said 503');
    expect(shown.stdout).toContain('input\n{\n  "user": {\n    "id": 7,\n    "email": "user7@example.com"\n  }\n}');
    const raw = JSON.parse(taskwire(['dlq', 'show', 'users', id, '--json', '--raw', ...on(env)]).stdout) as { raw: { envelope: string } };
    expect(raw.raw.envelope).toMatch(/^\{"v":1,"id":"/);

    const missing = taskwire(['dlq', 'show', 'users', '1-0', ...on(env)]);
    expect(missing.status).toBe(1);
    expect(lines(missing.stderr)).toEqual(['taskwire dlq show: no dead letter 1-0 on queue "users" (see taskwire dlq list users)']);
    const malformed = taskwire(['dlq', 'show', 'users', 'latest', ...on(env)]);
    expect(malformed.status).toBe(2);
    expect(lines(malformed.stderr)).toEqual([expect.stringMatching(/^taskwire dlq show: bad dead letter id "latest"/) as unknown]);
  });

  it('an unknown queue, a bad filter and a missing queue argument: one line each, non-zero exit', async () => {
    env = await opsEnv();
    await env.deadLetters(1);
    const unknown = taskwire(['dlq', 'list', 'userz', ...on(env)]);
    expect([unknown.status, lines(unknown.stderr)]).toEqual([1, [`taskwire dlq list: unknown queue "userz" under prefix "${env.prefix}" (queues: default, users)`]]);
    const where = taskwire(['dlq', 'list', 'users', '--where', 'user.id', ...on(env)]);
    expect([where.status, lines(where.stderr)]).toEqual([2, ['taskwire dlq list: VALIDATION: bad input condition "user.id": write field=value or field~text, e.g. user.id=42']]);
    const noQueue = taskwire(['dlq', 'list', ...on(env)]);
    expect([noQueue.status, lines(noQueue.stderr)]).toEqual([2, ["taskwire dlq list: missing required argument 'queue' (see taskwire dlq list --help)"]]);
  });
});

describe('taskwire dlq replay and purge', () => {
  it('replay refuses without --yes when no one is at the terminal, --dry-run changes nothing, --yes replays the matches and they succeed', async () => {
    env = await opsEnv();
    await env.deadLetters(3);
    const refused = taskwire(['dlq', 'replay', 'users', '--all', ...on(env)]);
    expect(refused.status).toBe(2);
    expect(lines(refused.stderr)).toEqual(['taskwire dlq replay: replay 3 dead letters of queue "users"? stdin is not a terminal to ask: add --yes (or --dry-run to list them)']);

    const dry = taskwire(['dlq', 'replay', 'users', '--where', 'user.id=2', '--dry-run', ...on(env)]);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('would replay 1 dead letter of queue "users" (dry run: nothing changed)');
    const dryJson = JSON.parse(taskwire(['dlq', 'replay', 'users', '--where', 'user.id=2', '--dry-run', '--json', ...on(env)]).stdout) as View[];
    expect(dryJson.map((v) => v.input.user.id)).toEqual([2]);
    expect(await env.admin.deadLetters('users').count()).toBe(3);

    env.heal();
    const succeededBefore = env.worker.stats.succeeded;
    const done = taskwire(['dlq', 'replay', 'users', '--where', 'user.id=2', '--yes', '--json', ...on(env)]);
    expect(done.stderr).toBe('');
    expect(JSON.parse(done.stdout)).toEqual({ queue: 'users', matched: 1, replayed: 1, gone: 0, failed: [] });
    expect(done.status).toBe(0);
    const left = await env.admin.deadLetters('users').list();
    expect(left.map((d) => (d.input as { user: { id: number } }).user.id).sort()).toEqual([1, 3]);
    for (let t = 0; t < 100 && env.worker.stats.succeeded === succeededBefore; t++) await new Promise((r) => setTimeout(r, 20));
    expect(env.worker.stats.succeeded).toBe(succeededBefore + 1);
  });

  it('on a terminal, replay asks first (no: nothing happens, exit 1) and shows a progress bar', async () => {
    env = await opsEnv();
    await env.deadLetters(2);
    const no = onTerminal(['dlq', 'replay', 'users', '--all', ...on(env)], { input: 'n\n' });
    expect(no.stdout).toContain('Replay 2 dead letters of queue "users"? [y/N]');
    expect(no.stdout).toContain('taskwire dlq replay: nothing done');
    expect(no.status).toBe(1);
    expect(await env.admin.deadLetters('users').count()).toBe(2);

    env.heal();
    const yes = onTerminal(['dlq', 'replay', 'users', '--all', ...on(env)], { input: 'y\n' });
    expect(yes.status).toBe(0);
    expect(yes.stdout).toContain('replaying [##############################] 2/2 100%');
    expect(yes.stdout).toContain('replayed 2 of 2 dead letters of queue "users"');
    expect(await env.admin.deadLetters('users').count()).toBe(0);
  });

  it('a bulk replay of 600 dead letters puts every one back exactly once', async () => {
    env = await opsEnv({ startWorker: false });
    // Written as take-8.lua and complete-4.lua write them (docs/PROTOCOL.md), without 600 real failures.
    const keys = queueKeys(env.prefix, 'users');
    const redis = new Redis(env.url);
    const now = Date.now();
    const multi = redis.multi();
    for (let i = 0; i < 600; i++) {
      const envelope = encodeCall({ id: `c.${i}`, task: 'users.sync', input: { json: { user: { id: i, email: `u${i}@x` } } }, deadline: now + 10_000, attempt: 2, sentAt: now });
      multi.xadd(keys.dead, '*', 'reason', 'ATTEMPTS_EXHAUSTED', 'id', `c.${i}`, 'envelope', envelope, 'at', String(now));
    }
    await multi.exec();
    const r = taskwire(['dlq', 'replay', 'users', '--all', '--yes', ...on(env)], { timeoutMs: 60_000 });
    expect(r.stdout).toBe('replayed 600 of 600 dead letters of queue "users"\n');
    expect(r.status).toBe(0);
    const waiting = await redis.lrange(keys.wait, 0, -1);
    redis.disconnect();
    expect(waiting).toHaveLength(600);
    expect(new Set(waiting.map((w) => (JSON.parse(w) as { id: string }).id)).size).toBe(600);
    expect(await env.admin.deadLetters('users').count()).toBe(0);
  });

  it('purge deletes by id or by filter, and --all deletes the rest', async () => {
    env = await opsEnv();
    await env.deadLetters(4);
    const letters = env.admin.deadLetters('users');
    // The four calls fail concurrently, so their letters land in any order: purge one that the
    // filter below does not also match.
    const first = (await letters.list()).find((l) => (l.input as { user: { id: number } }).user.id !== 4);
    // Named twice, it is one letter (was: "purged 1 of 2 … (1 already gone)").
    const one = taskwire(['dlq', 'purge', 'users', first?.id ?? '', first?.id ?? '', '--yes', ...on(env)]);
    expect([one.status, one.stdout]).toEqual([0, 'purged 1 of 1 dead letter of queue "users"\n']);
    const filtered = taskwire(['dlq', 'purge', 'users', '--where', 'user.id=4', '-y', ...on(env)]);
    expect([filtered.status, filtered.stdout]).toEqual([0, 'purged 1 of 1 dead letter of queue "users"\n']);
    expect(await letters.count()).toBe(2);
    const nothing = taskwire(['dlq', 'purge', 'users', ...on(env)]);
    expect([nothing.status, lines(nothing.stderr)]).toEqual([2, ['taskwire dlq purge: say which dead letters: ids, or --all, or a filter (--task, --reason, --since, --where)']]);
    const gone = taskwire(['dlq', 'purge', 'users', '1-0', '--yes', ...on(env)]);
    expect(gone.status).toBe(1);
    const all = taskwire(['dlq', 'purge', 'users', '--all', '--yes', ...on(env)]);
    expect([all.status, all.stdout]).toEqual([0, 'purged 2 dead letters of queue "users"\n']);
    expect(await letters.count()).toBe(0);
  });
});
