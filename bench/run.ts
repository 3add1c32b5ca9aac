import { Redis } from 'ioredis';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '../test/support/redis-server.js';
import { formatClusterReport, runClusterBench } from './cluster.js';
import { compileBench, ROOT } from './compile.js';
import { runMatrix } from './matrix.js';
import { measureClientMemory, measureRedisMemory } from './memory.js';
import { BASE_PAYLOAD_BYTES, parseOptions, WORKER_CONCURRENCY } from './options.js';
import { formatReport, judgeTargets } from './report.js';
import type { Results } from './results.js';
import { measureScheduling } from './scheduling.js';
import { measureWorkflows } from './workflows.js';
import { renderChart } from './svg.js';
import { calibrateSpin } from './workload.js';

/**
 * `npm run bench` — taskwire, BullMQ and a hand-written list-RPC ceiling, side by side, in one
 * run on one private Redis. `--smoke` (seconds, for the test suite), `--quick` (a minute or
 * two), default full (about ten minutes). Writes results.json and results.svg to bench/ or --out.
 * `--cluster` instead compares one node with a 3-primary Cluster (bench/cluster.ts) and writes
 * cluster-results.json.
 */
const options = parseOptions(process.argv.slice(2), join(ROOT, 'bench'));
const { sizes } = options;
const log = (line: string) => console.error(line);
const startedAt = new Date();

compileBench();
if (options.cluster) {
  const rows = await runClusterBench(sizes, log);
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(join(options.outDir, 'cluster-results.json'), `${JSON.stringify({ mode: options.mode, startedAt: startedAt.toISOString(), cpus: cpus().length, rows }, null, 2)}\n`);
  console.log(formatClusterReport(rows));
  console.log(`\nwrote ${join(options.outDir, 'cluster-results.json')}`);
  process.exit(0);
}
const server = await RedisServer.start();
const admin = new Redis(server.url);
try {
  const redisVersion = /^redis_version:(\S+)/m.exec(await admin.info('server'))?.[1] ?? 'unknown';
  const spinRounds = calibrateSpin(sizes.cpuWorkMs);
  log(`bench (${options.mode}) on ${server.url}, Redis ${redisVersion}; CPU-bound handler: ${spinRounds} rounds ≈ ${sizes.cpuWorkMs} ms`);

  const measurements = await runMatrix({ url: server.url, admin, sizes, spinRounds, log });
  const memoryContext = { url: server.url, admin, sizes, log };
  const redisMemory = await measureRedisMemory(memoryContext);
  const clientMemory = [await measureClientMemory(memoryContext, 'key'), await measureClientMemory(memoryContext, 'pubsub')];
  const scheduling = await measureScheduling({ url: server.url, sizes, log });
  const workflows = await measureWorkflows({ url: server.url, sizes, log });

  const cpuList = cpus();
  const partial: Omit<Results, 'targets'> = {
    meta: {
      mode: options.mode,
      startedAt: startedAt.toISOString(),
      durationSec: Math.round((Date.now() - startedAt.getTime()) / 1000),
      node: process.version,
      redis: redisVersion,
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
      note:
        `Machine note: ${cpuList.length} cores shared by the bench client, the worker process(es) and Redis; ` +
        'a noisy shared VM. Compare ratios within one run, not absolute figures across runs.',
      settings: {
        reps: sizes.reps,
        workerConcurrency: WORKER_CONCURRENCY,
        basePayloadBytes: BASE_PAYLOAD_BYTES,
        seqWarmupCalls: sizes.seqWarmupCalls,
        segmentWarmupMs: sizes.segmentWarmupMs,
        seqCalls: sizes.seqCalls,
        warmupMs: sizes.warmupMs,
        windowMs: sizes.windowMs,
        sweepInFlight: sizes.sweepInFlight,
        cpuWorkMs: sizes.cpuWorkMs,
        spinRounds,
      },
    },
    measurements,
    clientMemory,
    redisMemory,
    scheduling,
    workflows,
  };
  const results: Results = { ...partial, targets: judgeTargets(partial) };
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(join(options.outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(options.outDir, 'results.svg'), renderChart(results));
  console.log(formatReport(results));
  console.log(`\nwrote ${join(options.outDir, 'results.json')} and results.svg`);
} finally {
  admin.disconnect();
  await server.stop();
}
