import { expect, it } from 'vitest';
import { GuardedSentinelConnector } from '../../src/transport/guarded-connector.js';
import { closeConnection, openConnection } from '../../src/transport/connection.js';
import { redisUrl } from '../support/redis.js';
import { expectSurvivesSecondSocketError } from '../support/second-socket-error.js';

// ioredis listens for a socket's errors with `once`: a second error on one socket (a TLS handshake
// refused, then the server's alert) was an uncaught exception that killed the process. taskwire's
// connections carry a socket listener of their own for the errors after the first.

it('survives a second error on one socket, from a URL or from options, and serves on', async () => {
  const url = new URL(redisUrl());
  for (const conn of [openConnection(redisUrl(), { name: 'tw-test-guard' }), openConnection({ host: url.hostname, port: Number(url.port) }, { name: 'tw-test-guard' })]) {
    try {
      await expectSurvivesSecondSocketError(conn);
    } finally {
      await closeConnection(conn);
    }
  }
});

it("guards a Sentinel set's socket too, unless the failover detector (announced by ioredis' own connector) is on", () => {
  const sentinel = { sentinels: [{ host: '127.0.0.1', port: 1 }], name: 'mymaster', lazyConnect: true };
  const guardedConn = openConnection(sentinel, { name: 'tw-test-guard' });
  const detecting = openConnection({ ...sentinel, failoverDetector: true }, { name: 'tw-test-guard' });
  try {
    expect((guardedConn.options as { Connector?: unknown }).Connector).toBe(GuardedSentinelConnector);
    expect((detecting.options as { Connector?: unknown }).Connector).toBeUndefined();
  } finally {
    guardedConn.disconnect();
    detecting.disconnect();
  }
});
