import { expect, it } from 'vitest';
import { closeConnection, openConnection, type Connection } from '../../src/transport/connection.js';
import { redisUrl } from '../support/redis.js';

/**
 * ioredis listens for a socket's errors with `once`: a second error on one socket (a TLS handshake
 * refused, then the server's alert) was an uncaught exception that killed the process. taskwire's
 * connections carry a socket listener of their own for the errors after the first.
 */
async function socketOf(conn: Connection): Promise<NodeJS.EventEmitter> {
  conn.on('error', () => undefined);
  await conn.ping();
  const stream = (conn as unknown as { stream?: NodeJS.EventEmitter }).stream;
  if (!stream) throw new Error('no socket');
  return stream;
}

it('survives a second error on one socket, from a URL or from options, and serves on', async () => {
  const url = new URL(redisUrl());
  for (const conn of [openConnection(redisUrl(), { name: 'tw-test-guard' }), openConnection({ host: url.hostname, port: Number(url.port) }, { name: 'tw-test-guard' })]) {
    try {
      const socket = await socketOf(conn);
      expect(() => {
        socket.emit('error', new Error('first: ioredis hears this one'));
        socket.emit('error', new Error('second: would be uncaught'));
      }).not.toThrow();
      expect(await conn.ping()).toBe('PONG');
    } finally {
      await closeConnection(conn);
    }
  }
});

it("leaves a Sentinel set's connector to ioredis (it hands its own connector the connection)", () => {
  const conn = openConnection({ sentinels: [{ host: '127.0.0.1', port: 1 }], name: 'mymaster', lazyConnect: true }, { name: 'tw-test-guard' });
  expect((conn.options as { Connector?: unknown }).Connector).toBeUndefined();
  conn.disconnect();
});
