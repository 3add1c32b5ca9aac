import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { redisUrl } from './support/redis.js';

// `npm run demo` is one of the README's two commands; CI runs only the tests, so run it here.
it('the demo generates the client and runs worker and service end to end', () => {
  const res = spawnSync('node_modules/.bin/tsx', ['examples/demo.ts'], {
    env: { ...process.env, REDIS_URL: redisUrl() },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(res.stderr + res.stdout).toContain('demo: done');
  expect(res.status).toBe(0);
  expect(res.stdout).toMatch(/images\.resize → NOT_FOUND\s+\{"url":"https:\/\/img\.example\/missing\.png"\}/);
  expect(res.stdout).toContain('VALIDATION');
  expect(res.stdout).toContain('1000 results');
  expect(res.stdout).toContain('"acme":"4000000000000000000n"');
  // The workflow: sub-tasks, progress to the caller, a detached call's follow-up.
  // Progress is best effort, and in reply mode key the last report may come after the result.
  expect(res.stdout).toMatch(/progress\s+"\d+\/24"/);
  expect(res.stdout).toContain('{"album":"holidays","images":24,"bytes":201600}');
  expect(res.stdout).toContain('{"page":"https://albums.example/trip","images":4}');
}, 90_000);
