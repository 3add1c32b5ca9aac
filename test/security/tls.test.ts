import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient, createWorker, isTaskwireError } from '../../src/index.js';
import { contract, handlers, quietLogger } from '../support/fixtures.js';
import { runTaskwire } from '../support/cli-process.js';
import { randomPrefix } from '../support/redis.js';
import { freePort, RedisServer } from '../support/redis-server.js';
import { makeCertificates, type TestCertificates } from '../support/test-certificates.js';

/**
 * TLS end to end: a redis-server with a TLS port and a CA and certificate made here with
 * openssl. Clients, workers and the CLI reach it with `rediss://` or ioredis `tls` options; a
 * client that does not trust its certificate fails with CONNECTION naming the cause.
 */

let certs: TestCertificates | undefined;
let server: RedisServer | undefined;
let tlsPort = 0;
let ca = '';

beforeAll(async () => {
  certs = makeCertificates('IP:127.0.0.1');
  ca = readFileSync(certs.caFile, 'utf8');
  tlsPort = await freePort();
  server = await RedisServer.start({
    config: {
      'tls-port': String(tlsPort),
      'tls-cert-file': certs.certFile,
      'tls-key-file': certs.keyFile,
      'tls-ca-cert-file': certs.caFile,
      'tls-auth-clients': 'no',
    },
  });
}, 30_000);

afterAll(async () => {
  await server?.stop();
  certs?.remove();
});

it('runs calls over TLS: client and worker with ioredis tls options', async () => {
  const prefix = randomPrefix();
  const redis = { host: '127.0.0.1', port: tlsPort, tls: { ca } };
  const worker = createWorker(contract, handlers, { redis, prefix, logger: quietLogger });
  await worker.start();
  const client = createClient(contract, { redis, prefix });
  try {
    expect(await client.math.add({ a: 2, b: 3 })).toBe(5);
    const echoed = await client.math.echo({ when: new Date(5), tags: new Set(['a']), counts: new Map([['x', 7n]]) });
    expect(echoed.counts.get('x')).toBe(7n);
    // A second client, with a server name to check: the certificate names 127.0.0.1.
    const viaUrl = createClient(contract, { redis: { host: '127.0.0.1', port: tlsPort, tls: { ca, servername: '127.0.0.1' } }, prefix });
    expect(await viaUrl.math.add({ a: 1, b: 1 })).toBe(2);
    await viaUrl.$close();
  } finally {
    await client.$close();
    await worker.close();
  }
});

it('fails with CONNECTION naming the address and the certificate problem when the CA is not trusted', async () => {
  const prefix = randomPrefix();
  const redis = { host: '127.0.0.1', port: tlsPort, tls: { ca: readFileSync(certs?.otherCaFile ?? '', 'utf8') } };
  const worker = createWorker(contract, handlers, { redis, prefix, logger: quietLogger, connectTimeoutMs: 1_500 });
  const started = await worker.start().catch((e: unknown) => e);
  expect(isTaskwireError(started) && started.code).toBe('CONNECTION');
  expect(isTaskwireError(started) && started.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${tlsPort} \\(TLS\\)`));
  expect(isTaskwireError(started) && started.message).toMatch(/certificate/);
  await worker.close();

  const client = createClient(contract, { redis, prefix, logger: quietLogger });
  const call = await client.math.add({ a: 1, b: 1 }, { timeoutMs: 1_500 }).catch((e: unknown) => e);
  await client.$close();
  expect(isTaskwireError(call) && call.code).toBe('CONNECTION');
  expect(isTaskwireError(call) && call.message).toMatch(/certificate/);
});

it('runs the CLI over rediss:// with the CA given to Node (NODE_EXTRA_CA_CERTS)', async () => {
  const prefix = randomPrefix();
  const worker = createWorker(contract, handlers, { redis: { host: '127.0.0.1', port: tlsPort, tls: { ca } }, prefix, logger: quietLogger });
  await worker.start();
  try {
    const url = `rediss://127.0.0.1:${tlsPort}`;
    const ok = await runTaskwire(['inspect', '--redis', url, '--prefix', prefix, '--json'], { env: { NODE_EXTRA_CA_CERTS: certs?.caFile } });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toBeTruthy();
    const untrusted = await runTaskwire(['inspect', '--redis', url, '--prefix', prefix], { env: { NODE_EXTRA_CA_CERTS: undefined }, timeoutMs: 30_000 });
    expect(untrusted.status).not.toBe(0);
    expect(untrusted.stderr).toMatch(/certificate/);
  } finally {
    await worker.close();
  }
}, 60_000);
