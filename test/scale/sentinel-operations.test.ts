import { createAdmin, createClient } from 'taskwire';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { contract } from '../cli/fixtures/ops-worker.js';
import { CliProcess, lines, runTaskwire, taskwire } from '../support/cli-process.js';
import { randomPrefix } from '../support/redis.js';
import { closeConnection, openConnection } from '../../src/transport/connection.js';
import { RedisSentinel, SENTINEL_MASTER } from '../support/redis-sentinel.js';
import { expectSurvivesSecondSocketError } from '../support/second-socket-error.js';

// The operators' tools through Sentinel: `taskwire worker`, `call` and `inspect` with
// --sentinels/--sentinel-name, and createAdmin with { sentinels, name }, all from the built
// package (the copy the CLI runs).
let topology: RedisSentinel | undefined;
beforeAll(async () => {
  topology = await RedisSentinel.start();
});
afterAll(async () => topology?.stop());

function flags(t: RedisSentinel): string[] {
  return ['--sentinels', t.sentinels.map((s) => `${s.host}:${s.port}`).join(','), '--sentinel-name', SENTINEL_MASTER];
}

it('taskwire worker, call and inspect, and createAdmin, find the primary through the sentinels', async () => {
  const t = topology;
  if (!t) throw new Error('no topology');
  const prefix = randomPrefix();
  const worker = new CliProcess(['worker', 'test/cli/fixtures/ops-worker.ts', ...flags(t), '--prefix', prefix]);
  await worker.waitFor(/^taskwire worker [0-9a-f-]{36} serving test\/cli\/fixtures\/ops-worker\.ts at sentinels 127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+ \(master "mymaster"\)/m, 15_000, 'stderr');
  const client = createClient(contract, { redis: t.redis, prefix });
  const admin = createAdmin({ redis: t.redis, prefix });
  try {
    expect(await client.math.add({ a: 20, b: 22 })).toBe(42);
    const call = await runTaskwire(['call', 'math.add', '{"a":1,"b":2}', '--contract', 'test/cli/fixtures/ops-worker.ts', ...flags(t), '--prefix', prefix]);
    expect([call.status, call.stdout.trim()], call.stderr).toEqual([0, '3']);
    const o = await admin.overview();
    expect(o.workers.map((w) => w.pid)).toEqual([worker.proc.pid]);
    const inspect = await runTaskwire(['inspect', '--json', ...flags(t), '--prefix', prefix]);
    expect(inspect.status, inspect.stderr).toBe(0);
    expect((JSON.parse(inspect.stdout) as { workers: unknown[] }).workers).toHaveLength(1);
  } finally {
    await client.$close();
    await admin.close();
    expect(await worker.stop('SIGTERM')).toBe(0);
  }
});

it.each([
  ['--sentinels without a name', ['--sentinels', '127.0.0.1:1'], /^taskwire inspect: --sentinels needs --sentinel-name, the master name the sentinels monitor \(or TASKWIRE_SENTINEL_NAME\)$/],
  ['a name without sentinels', ['--sentinel-name', 'mymaster'], /^taskwire inspect: --sentinel-name needs --sentinels host:port\[,host:port…\] \(or TASKWIRE_SENTINELS\)$/],
  ['a bad address', ['--sentinels', '127.0.0.1', '--sentinel-name', 'mymaster'], /^taskwire inspect: bad sentinel address "127\.0\.0\.1": write host:port\[,host:port…\]$/],
])('%s: one line, exit 2', (_name, args, message) => {
  const r = taskwire(['inspect', ...args]);
  expect(lines(r.stderr)).toEqual([expect.stringMatching(message) as unknown]);
  expect(r.status).toBe(2);
});

it('no sentinel answering: one line naming the sentinel set', () => {
  const r = taskwire(['inspect', '--sentinels', '127.0.0.1:1', '--sentinel-name', 'mymaster']);
  expect(lines(r.stderr)).toEqual([expect.stringMatching(/^taskwire inspect: cannot reach Redis at sentinels 127\.0\.0\.1:1 \(master "mymaster"\): /) as unknown]);
  expect(r.status).toBe(1);
});

it('a connection found through the sentinels survives a second error on its socket (TLS refusal, then the alert)', async () => {
  const t = topology;
  if (!t) throw new Error('no topology');
  const conn = openConnection(t.redis, { name: 'tw-test-guard' });
  try {
    await expectSurvivesSecondSocketError(conn);
  } finally {
    await closeConnection(conn);
  }
});
