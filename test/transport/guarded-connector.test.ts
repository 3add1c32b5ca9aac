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

it('adds nothing to a closed socket when disconnected again and again (a Cluster does so to a dead node at each failed refresh)', async () => {
  const conn = openConnection(redisUrl(), { name: 'tw-test-guard' });
  conn.on('error', () => undefined);
  await conn.ping();
  const socket = (conn as unknown as { stream?: NodeJS.EventEmitter & { destroyed: boolean } }).stream;
  if (!socket) throw new Error('no socket');
  const closed = new Promise((resolve) => socket.once('close', resolve));
  conn.disconnect();
  await closed;
  const listeners = socket.listenerCount('close');
  // ioredis 5 armed a timer and a 'close' listener each time: 11 made Node warn (MaxListenersExceededWarning).
  for (let i = 0; i < 20; i++) conn.disconnect();
  expect(socket.listenerCount('close')).toBe(listeners);
});
