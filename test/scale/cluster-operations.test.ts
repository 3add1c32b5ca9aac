import { createClient } from 'taskwire';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { contract } from '../cli/fixtures/ops-worker.js';
import { CliProcess, lines, runTaskwire, taskwire } from '../support/cli-process.js';
import { randomPrefix, redisUrl } from '../support/redis.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { makeCertificates } from '../support/test-certificates.js';

// The operators' tools on a Redis Cluster (with a password, given in --redis): `taskwire
// worker`, `call`, `inspect` and `dlq` with --cluster, from the built package (the copy the CLI runs).
const PASSWORD = 'cluster-secret-42';
let cluster: RedisCluster | undefined;
beforeAll(async () => {
  cluster = await RedisCluster.start(3, { password: PASSWORD });
});
afterAll(async () => cluster?.stop());

function flags(c: RedisCluster): string[] {
  // One node is enough: it names the others.
  return ['--cluster', `127.0.0.1:${c.nodes[1]?.port}`, '--redis', `redis://:${PASSWORD}@127.0.0.1:1`];
}

it('taskwire worker, call, inspect and dlq reach the queues on every primary through --cluster', async () => {
  const c = cluster;
  if (!c) throw new Error('no cluster');
  const prefix = randomPrefix();
  const worker = new CliProcess(['worker', 'test/cli/fixtures/ops-worker.ts', ...flags(c), '--prefix', prefix]);
  await worker.waitFor(/^taskwire worker [0-9a-f-]{36} serving test\/cli\/fixtures\/ops-worker\.ts at cluster 127\.0\.0\.1:\d+/m, 15_000, 'stderr');
  const client = createClient(contract, { redis: { cluster: c.nodes, options: { redisOptions: { password: PASSWORD } } }, prefix });
  try {
    // Two queues (default and users), so two slots, on whichever primaries they hash to.
    expect(await client.math.add({ a: 20, b: 22 })).toBe(42);
    await expect(client.users.find({ id: 404 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const call = await runTaskwire(['call', 'math.add', '{"a":1,"b":2}', '--contract', 'test/cli/fixtures/ops-worker.ts', ...flags(c), '--prefix', prefix]);
    expect([call.status, call.stdout.trim()], call.stderr).toEqual([0, '3']);
    const inspect = await runTaskwire(['inspect', '--json', ...flags(c), '--prefix', prefix]);
    expect(inspect.status, inspect.stderr).toBe(0);
    const o = JSON.parse(inspect.stdout) as { workers: Array<{ pid: number }>; queues: Array<{ name: string }> };
    expect(o.workers.map((w) => w.pid)).toEqual([worker.proc.pid]);
    expect(o.queues.map((q) => q.name).sort()).toEqual(['default', 'users']);
    // users.sync fails twice in this worker: a dead letter on the users queue's primary.
    await expect(client.users.sync({ user: { id: 1, email: 'a@b.c' } })).rejects.toBeTruthy();
    const dlq = await runTaskwire(['dlq', 'list', 'users', '--json', ...flags(c), '--prefix', prefix]);
    expect(dlq.status, dlq.stderr).toBe(0);
    expect((JSON.parse(dlq.stdout) as unknown[]).length).toBe(1);
  } finally {
    await client.$close();
    expect(await worker.stop('SIGTERM')).toBe(0);
  }
});

it('over TLS with certificates that name a host: --cluster localhost:port and rediss:// reach every node by its name', async () => {
  // As managed clusters do: nodes announce host names (Redis 7), certificates list those names, not IPs.
  const certs = makeCertificates('DNS:localhost');
  const tlsCluster = await RedisCluster.start(3, { tls: { ...certs, announceHostname: 'localhost' } });
  const prefix = randomPrefix();
  const env = { NODE_EXTRA_CA_CERTS: certs.caFile };
  const tlsFlags = ['--cluster', `localhost:${tlsCluster.tlsPortOf(tlsCluster.nodes[0]?.port ?? 0)}`, '--redis', 'rediss://localhost:1', '--prefix', prefix];
  const worker = new CliProcess(['worker', 'test/cli/fixtures/ops-worker.ts', ...tlsFlags], { env });
  try {
    await worker.waitFor(/^taskwire worker [0-9a-f-]{36} serving test\/cli\/fixtures\/ops-worker\.ts at cluster localhost:\d+/m, 15_000, 'stderr');
    const call = await runTaskwire(['call', 'math.add', '{"a":1,"b":2}', '--contract', 'test/cli/fixtures/ops-worker.ts', ...tlsFlags], { env });
    expect([call.status, call.stdout.trim()], call.stderr).toEqual([0, '3']);
    const inspect = await runTaskwire(['inspect', '--json', ...tlsFlags], { env });
    expect(inspect.status, inspect.stderr).toBe(0);
    expect((JSON.parse(inspect.stdout) as { workers: Array<{ pid: number }> }).workers.map((w) => w.pid)).toEqual([worker.proc.pid]);
  } finally {
    expect(await worker.stop('SIGTERM')).toBe(0);
    await tlsCluster.stop();
    certs.remove();
  }
}, 60_000);

it.each([
  ['--cluster with --sentinels', ['--cluster', '127.0.0.1:1', '--sentinels', '127.0.0.1:2', '--sentinel-name', 'm'], /^taskwire inspect: --cluster and --sentinels name two kinds of Redis: give one$/],
  ['a bad node address', ['--cluster', '127.0.0.1'], /^taskwire inspect: bad cluster node address "127\.0\.0\.1": write host:port\[,host:port…\]$/],
])('%s: one line, exit 2', (_name, args, message) => {
  const r = taskwire(['inspect', ...args]);
  expect(lines(r.stderr)).toEqual([expect.stringMatching(message) as unknown]);
  expect(r.status).toBe(2);
});

it('no node answering, a wrong password, or a Redis that is not a Cluster: one line naming the cluster, exit 1', () => {
  const down = taskwire(['inspect', '--cluster', '127.0.0.1:1']);
  expect(lines(down.stderr)).toEqual([expect.stringMatching(/^taskwire inspect: cannot reach Redis at cluster 127\.0\.0\.1:1: /) as unknown]);
  expect(down.status).toBe(1);
  const c = cluster;
  if (!c) throw new Error('no cluster');
  const wrong = taskwire(['inspect', '--cluster', `127.0.0.1:${c.nodes[0]?.port}`, '--redis', 'redis://:nope@127.0.0.1:1']);
  expect(lines(wrong.stderr)).toEqual([expect.stringMatching(/^taskwire inspect: (Redis at cluster 127\.0\.0\.1:\d+ refused us|cannot reach Redis at cluster 127\.0\.0\.1:\d+): .*(WRONGPASS|NOAUTH)/) as unknown]);
  expect(wrong.status).toBe(1);
  // A plain Redis named as a Cluster: reached, and said to be the wrong kind.
  const plain = new URL(redisUrl());
  const notCluster = taskwire(['inspect', '--cluster', `${plain.hostname}:${plain.port}`]);
  expect(lines(notCluster.stderr)).toEqual([expect.stringMatching(/^taskwire inspect: Redis at cluster [\d.]+:\d+ is not a Redis Cluster \(.*cluster support disabled\): name it with --redis instead of --cluster$/) as unknown]);
  expect(notCluster.status).toBe(1);
});
