import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RedisServer } from '../test/support/redis-server.js';
import { Child, startWorkers, stopAll, type Message } from './children.js';
import { compileBench, ROOT } from './compile.js';
import { BASE_PAYLOAD_BYTES, WORKER_CONCURRENCY } from './options.js';
import { formatProfile, summariseProfile } from './profile-summary.js';

/**
 * `tsx bench/profile.ts [--mode key|pubsub] [--in-flight 1000] [--seconds 15] [--bytes 100]`: CPU profiles of
 * a taskwire client process and a worker process under load, each alone in its process, on a
 * private Redis. Writes the .cpuprofile files to bench/.tmp/profiles (open them in Chrome
 * DevTools) and prints where the busy time went.
 */
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}
const mode = arg('mode', 'key');
const inFlight = arg('in-flight', '1000');
const seconds = arg('seconds', '15');
const bytes = arg('bytes', String(BASE_PAYLOAD_BYTES));
const dir = join(ROOT, 'bench', '.tmp', 'profiles', mode);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const prof = (name: string) => ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${name}.cpuprofile`];

compileBench();
const server = await RedisServer.start();
try {
  const endpoint = { url: server.url, namespace: 'bench-profile' };
  const workers = await startWorkers('taskwire', endpoint, 1, WORKER_CONCURRENCY, prof('worker'));
  const client = new Child('profile-client', [server.url, endpoint.namespace, mode, inFlight, seconds, '0', bytes], prof('client'));
  const done = await client.next<Message & { callsPerSec: number; p50Ms: number; errors: number }>('done');
  await client.stop();
  await stopAll(workers);
  console.log(`${mode} mode, ${inFlight} in flight: ${Math.round(done.callsPerSec)} calls/s, p50 ${done.p50Ms.toFixed(1)} ms, ${done.errors} errors\n`);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
    console.log(formatProfile(file, summariseProfile(join(dir, file))));
    console.log('');
  }
} finally {
  await server.stop();
}
