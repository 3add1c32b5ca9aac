import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { closeConnection, openConnection } from '../../src/transport/connection.js';
import { RedisServer } from '../support/redis-server.js';

// After a reconnect ioredis resubscribes by calling (s)subscribe itself, with no handler; a
// subscriber closed before Redis answers rejected each with "Connection is closed", an unhandled
// rejection (fatal by Node's default). A CI run saw 7 when a test closed a worker whose subscriber
// had just come back. Here Redis is paused so the subscribes stay unanswered, as they were there.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it("a subscriber closed before Redis answers its (s)subscribes leaves no unhandled rejection; an awaiting caller still hears it", async () => {
  const server = await RedisServer.start();
  cleanups.push(() => server.stop());
  const admin = new Redis(server.url);
  cleanups.push(async () => void admin.disconnect());
  const conn = openConnection(server.url, { name: 'tw-test-sub', blocking: true, subscriber: true });
  conn.on('error', () => undefined);
  await conn.subscribe('first');
  const unhandled: unknown[] = [];
  const hear = (reason: unknown) => void unhandled.push(reason);
  process.on('unhandledRejection', hear);
  cleanups.push(async () => void process.off('unhandledRejection', hear));
  await admin.client('PAUSE', 500, 'ALL');
  // As ioredis' own resubscribe calls them: nobody handles these promises.
  void conn.subscribe('cancel');
  for (const channel of ['a', 'b', 'c']) void conn.ssubscribe(channel);
  // A caller that does await one still gets its rejection.
  const awaited = conn.subscribe('awaited').catch((err: unknown) => err);
  await closeConnection(conn);
  expect(String(await awaited)).toMatch(/Connection is closed/);
  await new Promise((r) => setTimeout(r, 700));
  expect(unhandled).toEqual([]);
});
