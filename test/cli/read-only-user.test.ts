import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { createDashboardHandler } from 'taskwire/dashboard';
import { afterEach, describe, expect, it } from 'vitest';
import { lines, taskwire } from '../support/cli-process.js';
import { opsEnv, type OpsEnv } from '../support/ops-env.js';
import { REPO_ROOT } from '../support/packed-package.js';

/** The read-only user docs/OPERATIONS.md tells operators to create, exactly as written there. */
function documentedRule(): string[] {
  const doc = readFileSync(join(REPO_ROOT, 'docs/OPERATIONS.md'), 'utf8');
  const line = doc.split('\n').map((l) => l.trim()).find((l) => l.startsWith('ACL SETUSER tw-readonly '));
  if (!line) throw new Error('docs/OPERATIONS.md has no line starting "ACL SETUSER tw-readonly "');
  return line.trim().split(/\s+/).slice(2);
}

let env: OpsEnv | undefined;
let admin: Redis | undefined;
let user = '';
afterEach(async () => {
  if (admin && user) await admin.call('ACL', 'DELUSER', user);
  admin?.disconnect();
  await env?.cleanup();
  env = undefined;
  admin = undefined;
});

describe('the read-only Redis user of docs/OPERATIONS.md', () => {
  it('can inspect and list dead letters; replay and purge are refused with one line and exit 1', async () => {
    env = await opsEnv();
    await env.deadLetters(1);
    admin = new Redis(env.url);
    // Same rule, a unique name and this test's prefix (the doc's is the default "tw").
    const [name, ...rule] = documentedRule();
    expect(name).toBe('tw-readonly');
    user = `tw-readonly-${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const args = rule.map((r) => (r === '>CHANGE-ME' ? `>${password}` : r === '~tw:*' ? `~${env?.prefix}:*` : r));
    expect(args).toContain(`~${env.prefix}:*`);
    expect(await admin.call('ACL', 'SETUSER', user, ...args)).toBe('OK');
    const url = new URL(env.url);
    url.username = user;
    url.password = password;
    const as = ['--redis', url.href, '--prefix', env.prefix];

    const inspect = taskwire(['inspect', ...as]);
    expect(inspect.stderr).toBe('');
    expect(inspect.status).toBe(0);
    expect(inspect.stdout).toMatch(/^users +0 +0 +0 +1 +1 /m);
    expect(inspect.stdout).toContain(`${user}:***@`);
    expect(inspect.stdout).not.toContain(password);
    expect(taskwire(['dlq', 'list', 'users', ...as]).status).toBe(0);

    const replay = taskwire(['dlq', 'replay', 'users', '--all', '--yes', ...as]);
    expect(replay.status).toBe(1);
    expect(replay.stdout).toMatch(/^replayed 0 of 1 dead letter of queue "users" \(1 failed, first: \d+-\d+: NOPERM /);
    expect(replay.stdout).toMatch(/NOPERM/);
    const purge = taskwire(['dlq', 'purge', 'users', '--all', '--yes', ...as]);
    expect(purge.status).toBe(1);
    expect(lines(purge.stderr)).toEqual([expect.stringMatching(/^taskwire dlq purge: Redis refused: NOPERM /) as unknown]);
    expect(await env.admin.deadLetters('users').count()).toBe(1);

    // A read-only dashboard as this user: every read answers, an action is refused by Redis.
    const dashboard = createDashboardHandler({ redis: url.href, prefix: env.prefix, actionToken: 't0ken' });
    const server = createServer(dashboard);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/`;
    try {
      for (const path of ['overview', 'queues/users/dead', 'queues/default/calls?state=running', 'queues/default/calls?state=delayed', 'queues/default/calls?state=waiting']) {
        expect([path, (await fetch(base + path)).status]).toEqual([path, 200]);
      }
      const act = await fetch(`${base}queues/users/dead/purge`, { method: 'POST', headers: { Authorization: 'Bearer t0ken' }, body: '{"all":true}' });
      expect(act.status).toBe(503);
      expect(((await act.json()) as { error: string }).error).toMatch(/NOPERM/);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await dashboard.close();
    }

    const wrong = new URL(url.href);
    wrong.password = 'wrong';
    const login = taskwire(['inspect', '--redis', wrong.href, '--prefix', env.prefix]);
    expect(login.status).toBe(1);
    expect(lines(login.stderr)).toEqual([`taskwire inspect: Redis at redis://${user}:***@${url.host} refused us: WRONGPASS invalid username-password pair or user is disabled.`]);
  });
});
