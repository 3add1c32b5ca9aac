import { afterEach, expect, it } from 'vitest';
import { createAdmin, createWorker } from '../../src/index.js';
import { queueKeys } from '../../src/wire/keys.js';
import { contract, handlers, quietLogger } from '../support/fixtures.js';
import { inspector, pushRaw, randomPrefix, redisUrl } from '../support/redis.js';

// `taskwire dlq purge --all` asked "Purge 3 dead letters?" and then deleted 10: one DEL took the
// letters set aside while the question was open too (found by an operators' review). It now
// purges through the newest letter it counted: purgeAll(undefined, { through }).

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('purges the dead letters up to the one named, and leaves those set aside after it', async () => {
  const prefix = randomPrefix();
  const insp = inspector(prefix);
  const worker = createWorker(contract, handlers, { redis: redisUrl(), prefix, logger: quietLogger });
  await worker.start();
  const admin = createAdmin({ redis: redisUrl(), prefix });
  cleanups.push(() => insp.cleanup(), () => worker.close(), () => admin.close());
  const keys = queueKeys(prefix, 'default');
  const letters = admin.deadLetters('default');
  // Unreadable messages: each is set aside as a dead letter (PROTOCOL), one after the other.
  for (let i = 0; i < 3; i++) {
    await pushRaw(insp.redis, keys, `garbage ${i}`);
    await expect.poll(() => letters.count(), { timeout: 3_000 }).toBe(i + 1);
  }
  const seen = await letters.list();
  // Asked about these three; a fourth arrives before the answer.
  await pushRaw(insp.redis, keys, 'garbage 3');
  await expect.poll(() => letters.count(), { timeout: 3_000 }).toBe(4);
  expect(await letters.purgeAll(undefined, { through: seen[2]?.id ?? '' })).toBe(3);
  const left = await letters.list();
  expect(left).toHaveLength(1);
  expect(seen.map((d) => d.id)).not.toContain(left[0]?.id);
  await expect(letters.purgeAll(undefined, { through: 'nope' })).rejects.toMatchObject({ code: 'VALIDATION' });
  expect(await letters.purgeAll()).toBe(1);
});
