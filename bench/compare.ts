import { fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { RedisServer } from '../test/support/redis-server.js';
import { compileBench, ROOT } from './compile.js';
import { BASE_PAYLOAD_BYTES, WORKER_CONCURRENCY } from './options.js';
import { median } from './stats.js';
import { calibrateSpin } from './workload.js';

/**
 * `tsx bench/compare.ts <other checkout> [--mode key|pubsub] [--in-flight 1000] [--seconds 4] [--reps 3]
 *   [--workers 1] [--cpu-ms 0] [--bytes 100]` (--cpu-ms: the CPU-bound handler of the bench, ~ms of work per call;
 *   --bytes: size of the input's data string, as in the bench's payload sweep)
 *
 * A/B of two builds of taskwire on one private Redis: this checkout ("this") against another
 * one ("base", e.g. a `git worktree` of an earlier commit, built with `npm run build` and its
 * bench compiled with `tsx bench/compare.ts` once). Runs alternate this/base, so drift of a
 * shared machine lands on both; prints medians of calls/s and CPU µs per call of the client
 * process, the worker process and Redis. For deciding one change at a time; `npm run bench`
 * is what the docs quote.
 */
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}
const other = process.argv[2];
if (!other || other.startsWith('--')) {
  console.error('usage: tsx bench/compare.ts <other checkout> [--mode key|pubsub] [--in-flight N] [--seconds S] [--reps R]');
  process.exit(2);
}
const mode = arg('mode', 'key');
const inFlight = arg('in-flight', '1000');
const seconds = Number(arg('seconds', '4'));
const reps = Number(arg('reps', '3'));
const workers = Number(arg('workers', '1'));
const cpuMs = Number(arg('cpu-ms', '0'));
const bytes = arg('bytes', String(BASE_PAYLOAD_BYTES));
/** --cmdstats: also print Redis's per-command time per call (INFO commandstats) of each run. */
const cmdstats = process.argv.includes('--cmdstats');
const spinRounds = cpuMs > 0 ? calibrateSpin(cpuMs) : 0;
const variants = { this: ROOT, base: resolve(other) };
compileBench();
if (!existsSync(join(variants.base, 'dist', 'bench', 'profile-client.js'))) {
  console.error(`${variants.base}: no dist/bench; run \`npm run build && tsx bench/compare.ts .\` there once`);
  process.exit(2);
}

function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000;
}
async function redisUs(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const field = (n: string) => Number(new RegExp(`^${n}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

/** Each command's calls and µs of Redis time per taskwire call, busiest first. */
function printCommandStats(info: string, calls: number): void {
  const rows = [...info.matchAll(/^cmdstat_(\S+?):calls=(\d+),usec=(\d+)/gm)]
    .map(([, cmd, n, usec]) => ({ cmd, perCall: Number(n) / calls, usPerCall: Number(usec) / calls }))
    .sort((a, b) => b.usPerCall - a.usPerCall);
  for (const r of rows) console.log(`  ${String(r.cmd).padEnd(12)} ${r.perCall.toFixed(3)} per call, ${r.usPerCall.toFixed(2)} µs per call`);
}

interface Sample {
  callsPerSec: number;
  client: number;
  worker: number;
  redis: number;
  p50: number;
  p99: number;
}

function child(dir: string, entry: string, args: string[]) {
  const proc = fork(join(dir, 'dist', 'bench', `${entry}.js`), args, { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (type: string) =>
    new Promise<Record<string, number>>((ok, fail) => {
      const onMessage = (m: { type: string }) => {
        if (m.type !== type) return;
        proc.off('message', onMessage);
        ok(m as unknown as Record<string, number>);
      };
      proc.on('message', onMessage);
      proc.once('exit', (code) => fail(new Error(`${entry} exited (${code}) before "${type}"`)));
    });
  return { proc, next };
}

async function once(server: RedisServer, admin: Redis, dir: string, n: number): Promise<Sample> {
  const ns = `cmp${n}`;
  const ws = Array.from({ length: workers }, () => child(dir, 'worker-process', ['taskwire', server.url, ns, String(WORKER_CONCURRENCY)]));
  await Promise.all(ws.map((w) => w.next('ready')));
  const workersUs = () => ws.reduce((sum, w) => sum + cpuUs(w.proc.pid as number), 0);
  const w0 = workersUs();
  const r0 = await redisUs(admin);
  if (cmdstats) await admin.config('RESETSTAT');
  const client = child(dir, 'profile-client', [server.url, ns, mode, inFlight, String(seconds), String(spinRounds), bytes]);
  const done = await client.next('done');
  const clientUs = cpuUs(client.proc.pid as number);
  const w1 = workersUs();
  const r1 = await redisUs(admin);
  if (cmdstats) printCommandStats(await admin.info('commandstats'), Number(done['totalCalls']));
  await new Promise((ok) => client.proc.once('exit', ok));
  for (const w of ws) w.proc.send({ type: 'stop' });
  await Promise.all(ws.map((w) => new Promise((ok) => w.proc.once('exit', ok))));
  await admin.flushall();
  const calls = Number(done['totalCalls']);
  return {
    callsPerSec: Number(done['callsPerSec']),
    client: clientUs / calls,
    worker: (w1 - w0) / calls,
    redis: (r1 - r0) / calls,
    p50: Number(done['p50Ms']),
    p99: Number(done['p99Ms']),
  };
}

const server = await RedisServer.start();
const admin = new Redis(server.url);
const samples: Record<string, Sample[]> = { this: [], base: [] };
try {
  let n = 0;
  for (let r = 0; r < reps; r++) {
    for (const [name, dir] of r % 2 ? Object.entries(variants).reverse() : Object.entries(variants)) {
      const s = await once(server, admin, dir, n++);
      samples[name]?.push(s);
      console.log(`${name.padEnd(4)} rep ${r + 1}: ${Math.round(s.callsPerSec)} calls/s, µs/call client ${s.client.toFixed(1)} worker ${s.worker.toFixed(1)} redis ${s.redis.toFixed(1)}, p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`);
    }
  }
  console.log(`\n${mode} mode, ${inFlight} in flight, ${workers} worker process(es)${cpuMs ? `, ~${cpuMs} ms CPU per call` : ''}${bytes !== String(BASE_PAYLOAD_BYTES) ? `, ${bytes} B payload` : ''}, medians of ${reps}:`);
  for (const [name, list] of Object.entries(samples)) {
    const m = (f: (s: Sample) => number) => median(list.map(f));
    const total = m((s) => s.client + s.worker + s.redis);
    console.log(
      `${name.padEnd(4)} ${Math.round(m((s) => s.callsPerSec))} calls/s | µs/call client ${m((s) => s.client).toFixed(1)} worker ${m((s) => s.worker).toFixed(1)} redis ${m((s) => s.redis).toFixed(1)} total ${total.toFixed(1)} | p50 ${m((s) => s.p50).toFixed(2)} ms, p99 ${m((s) => s.p99).toFixed(2)} ms`,
    );
  }
} finally {
  admin.disconnect();
  await server.stop();
}
