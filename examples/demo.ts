/**
 * `npm run demo`: generate the service's client from the contract package, start the worker
 * process, run the service against it, and clean up. Uses REDIS_URL when set, else a private
 * redis-server it starts (and stops), else explains how to get one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { deleteKeysUnder, RedisServer, redisServerAvailable } from '../test/support/redis-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = `${root}node_modules/.bin/tsx`;

async function redis(): Promise<{ url: string; stop(): Promise<void> }> {
  const given = process.env['REDIS_URL'];
  if (given) return { url: given, stop: async () => undefined };
  if (!redisServerAvailable()) {
    console.error(
      'demo: no Redis. Set REDIS_URL=redis://host:port, or install Redis 7+ so that `redis-server` is on PATH\n' +
        '      (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis).',
    );
    process.exit(1);
  }
  const server = await RedisServer.start();
  console.log(`demo: started a private redis-server on ${server.url}`);
  return { url: server.url, stop: () => server.stop() };
}

function run(label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  console.log(`\n$ ${label}`);
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (res.status !== 0) throw new Error(`${label} failed with exit code ${res.status}`);
}

function startWorker(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  console.log('\n$ tsx examples/worker/src/main.ts   (a separate process)');
  const child = spawn(tsx, ['examples/worker/src/main.ts'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker did not become ready within 20 s')), 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      process.stdout.write(`  [worker] ${d.toString()}`);
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`worker exited early with code ${code}`)));
  });
}

const server = await redis();
const env = { REDIS_URL: server.url, TASKWIRE_PREFIX: `demo-${randomBytes(4).toString('hex')}` };
let worker: ChildProcess | undefined;
let done = false;
try {
  run('taskwire codegen examples/contracts/src/index.ts --out examples/service/src/generated/tasks-client.ts', 'node', [
    'dist/src/cli/main.js', 'codegen', 'examples/contracts/src/index.ts', '--out', 'examples/service/src/generated/tasks-client.ts',
  ]);
  worker = await startWorker(env);
  run('tsx examples/service/src/main.ts   (calls only through the generated client)', tsx, ['examples/service/src/main.ts'], env);
  done = true;
} finally {
  if (worker && worker.exitCode === null) {
    console.log('\ndemo: stopping the worker with SIGTERM (it drains, then exits)');
    const exited = new Promise((r) => worker?.once('exit', r));
    worker.kill('SIGTERM'); // the worker drains and exits on its own (closeOnSignals)
    await exited;
  }
  await removeKeys(server.url, env.TASKWIRE_PREFIX);
  await server.stop();
}
if (done) console.log('\ndemo: done');

/** On a shared Redis (REDIS_URL) the demo leaves nothing behind. */
async function removeKeys(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await deleteKeysUnder(r, prefix);
  } catch {
    // Redis already gone: nothing to clean.
  } finally {
    r.disconnect();
  }
}
