import { expect } from 'vitest';
import type { Connection } from '../../src/transport/connection.js';

/**
 * ioredis listens for a socket's errors with `once`: a second error on one socket (a TLS handshake
 * refused, then the server's alert) would be an uncaught exception. Emits two on the connection's
 * socket and checks that neither throws and the connection still serves.
 */
export async function expectSurvivesSecondSocketError(conn: Connection): Promise<void> {
  conn.on('error', () => undefined);
  await conn.ping();
  const socket = (conn as unknown as { stream?: NodeJS.EventEmitter }).stream;
  if (!socket) throw new Error('no socket');
  expect(() => {
    socket.emit('error', new Error('first: ioredis hears this one'));
    socket.emit('error', new Error('second: would be uncaught'));
  }).not.toThrow();
  expect(await conn.ping()).toBe('PONG');
}
