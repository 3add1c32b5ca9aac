import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { createClient, type RedisSource, type ReplyMode } from '../src/index.js';
import { RedisCluster } from '../test/support/redis-cluster.js';
import { RedisServer } from '../test/support/redis-server.js';
import { Child, stopAll } from './children.js';
import { clusterContract } from './cluster-workload.js';
import { runInFlight } from './load.js';
import { BASE_PAYLOAD_BYTES, WORKER_CONCURRENCY, type BenchSizes } from './options.js';
import { median, round } from './stats.js';
import { payload } from './workload.js';

/**
 * `npm run bench -- --cluster`: the same load on one Redis node and on a 3-primary Cluster, in
 * one run: 1,000 calls in flight from one client, round-robin over six queues (two per shard on
 * the Cluster), served by two worker processes. A queue lives on one shard, so a single queue is
 * measured on the Cluster too: until partitioned queues exist it cannot use more than one shard.
 * Redis CPU per call is summed over every node (INFO cpu), so what a shard costs per call can be
 * read apart from the calls/s this 2-core machine allows.
 */

const IN_FLIGHT = 1000;
const WORKERS = 2;
const QUEUES_PER_SHARD = 2;

export interface ClusterBenchRow {
  setup: string;
  shards: number;
  queues: number;
  callsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Redis CPU per call, summed over the nodes, in microseconds. */
  redisUsPerCall: number;
  /** Each node's share of that CPU. */
  nodeShares: number[];
  /** Bytes in and out of Redis per call, summed over the nodes (client, worker and cluster-bus traffic). */
  netBytesPerCall: number;
  /** PUBLISH messages the nodes forwarded to each other over the cluster bus, per call. */
  busPublishesPerCall: number;
  errors: number;
  reps: number[];
  /** The machine's 1-minute load average after each rep: above 2 on 2 cores, others were running too. */
  loadAvg: number[];
}

interface Setup {
  name: string;
  replyMode: ReplyMode;
  /** One queue in this many partitions (docs/PARTITIONS.md), instead of queues split by hand. */
  partitions?: number;
  /** Pub/sub replies by SPUBLISH to the queue's shard instead of PUBLISH to every node. */
  shardedPubSub?: boolean;
  redis: RedisSource;
  ports: number[];
  queues: string[];
}

/**
 * CPU (us), network bytes (in + out, clients and replicas) and PUBLISH messages sent over the
 * cluster bus each node has counted so far, from INFO and CLUSTER INFO.
 */
async function redisUsage(ports: readonly number[]): Promise<Array<{ cpuUs: number; netBytes: number; busPublishes: number }>> {
  return Promise.all(
    ports.map(async (port) => {
      const r = new Redis(port, '127.0.0.1', { lazyConnect: true });
      try {
        await r.connect();
        const info = await r.info();
        const bus = /^redis_mode:cluster/m.test(info) ? String(await r.call('CLUSTER', 'INFO')) : '';
        const field = (name: string, text = info) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
        return {
          cpuUs: (field('used_cpu_user') + field('used_cpu_sys')) * 1e6,
          netBytes: field('total_net_input_bytes') + field('total_net_output_bytes'),
          busPublishes: field('cluster_stats_messages_publish_sent', bus),
        };
      } finally {
        r.disconnect();
      }
    }),
  );
}

/** `perShard` queue names for each primary of the cluster, found by their hash slots. */
function queuesSpread(cluster: RedisCluster, perShard: number): string[] {
  const byPort = new Map<number, string[]>(cluster.primaryPorts().map((p) => [p, []]));
  for (let i = 0; [...byPort.values()].some((l) => l.length < perShard); i++) {
    const name = `q${i}`;
    const list = byPort.get(cluster.portOf(`{${name}}`));
    if (list && list.length < perShard) list.push(name);
  }
  return [...byPort.values()].flat();
}

async function measure(setup: Setup, sizes: BenchSizes): Promise<{ callsPerSec: number; p50Ms: number; p99Ms: number; cpu: number[]; net: number; bus: number; totalCalls: number; errors: number }> {
  const prefix = `bench-cl-${randomBytes(4).toString('hex')}`;
  const args = [JSON.stringify(setup.redis), prefix, setup.queues.join(','), String(WORKER_CONCURRENCY), String(setup.partitions ?? '')];
  const workers = Array.from({ length: WORKERS }, () => new Child('cluster-worker', args));
  const client = createClient(clusterContract(setup.queues, setup.partitions), { redis: setup.redis, prefix, replyMode: setup.replyMode, shardedPubSub: setup.shardedPubSub ?? false });
  try {
    await Promise.all(workers.map((w) => w.next('ready')));
    const input = { data: payload(BASE_PAYLOAD_BYTES), spin: 0 };
    const callers = setup.queues.map((q) => {
      const caller = client[q];
      if (!caller) throw new Error(`no task ${q}`);
      return caller;
    });
    let next = 0;
    const call = async () => {
      const caller = callers[next++ % callers.length];
      const out = await caller?.(input, { timeoutMs: 60_000 });
      if (out?.n !== input.data.length) throw new Error('wrong answer');
    };
    const before = await redisUsage(setup.ports);
    const res = await runInFlight(call, IN_FLIGHT, sizes.warmupMs, sizes.windowMs);
    const after = await redisUsage(setup.ports);
    const cpu = after.map((a, i) => a.cpuUs - (before[i]?.cpuUs ?? 0));
    const net = after.reduce((t, a, i) => t + a.netBytes - (before[i]?.netBytes ?? 0), 0);
    const bus = after.reduce((t, a, i) => t + a.busPublishes - (before[i]?.busPublishes ?? 0), 0);
    return { callsPerSec: res.callsPerSec, p50Ms: res.p50Ms, p99Ms: res.p99Ms, cpu, net, bus, totalCalls: res.totalCalls, errors: res.errors };
  } finally {
    await client.$close();
    await stopAll(workers);
  }
}

export async function runClusterBench(sizes: BenchSizes, log: (line: string) => void): Promise<ClusterBenchRow[]> {
  const server = await RedisServer.start();
  let cluster: RedisCluster | undefined;
  try {
    cluster = await RedisCluster.start(3);
    const queues = queuesSpread(cluster, QUEUES_PER_SHARD);
    const clusterPorts = cluster.primaryPorts();
    const setups: Setup[] = [
      { name: 'one node', replyMode: 'key', redis: server.url, ports: [server.port], queues },
      { name: '3-primary Cluster', replyMode: 'key', redis: { cluster: cluster.nodes }, ports: clusterPorts, queues },
      { name: '3-primary Cluster, one queue', replyMode: 'key', redis: { cluster: cluster.nodes }, ports: clusterPorts, queues: queues.slice(0, 1) },
      { name: 'one node, one queue in 6 partitions', replyMode: 'key', redis: server.url, ports: [server.port], queues: ['hot'], partitions: 6 },
      { name: '3-primary Cluster, 6 partitions', replyMode: 'key', redis: { cluster: cluster.nodes }, ports: clusterPorts, queues: ['hot'], partitions: 6 },
      // PUBLISH on a Cluster reaches every node over the cluster bus: what sharded pub/sub would save.
      { name: 'one node, pubsub replies', replyMode: 'pubsub', redis: server.url, ports: [server.port], queues },
      { name: '3-primary Cluster, pubsub replies', replyMode: 'pubsub', redis: { cluster: cluster.nodes }, ports: clusterPorts, queues },
      { name: '3-primary Cluster, sharded pubsub', replyMode: 'pubsub', shardedPubSub: true, redis: { cluster: cluster.nodes }, ports: clusterPorts, queues },
    ];
    const samples = new Map<string, Array<Awaited<ReturnType<typeof measure>> & { load: number }>>();
    // Setups alternate within each rep, so drift of a shared machine falls on all of them.
    for (let rep = 0; rep < sizes.reps; rep++) {
      for (const setup of setups) {
        const m = await measure(setup, sizes);
        const load = round(loadavg()[0] ?? 0, 2);
        log(`cluster bench rep ${rep + 1}/${sizes.reps}: ${setup.name} (${setup.queues.length} queues) ${Math.round(m.callsPerSec)} calls/s, load average ${load}`);
        samples.set(setup.name, [...(samples.get(setup.name) ?? []), { ...m, load }]);
      }
    }
    return setups.map((setup) => {
      const ms = samples.get(setup.name) ?? [];
      const cpuTotal = ms.reduce((t, m) => t + m.cpu.reduce((a, b) => a + b, 0), 0);
      const calls = ms.reduce((t, m) => t + m.totalCalls, 0);
      const perNode = setup.ports.map((_, i) => ms.reduce((t, m) => t + (m.cpu[i] ?? 0), 0));
      return {
        setup: setup.name,
        shards: setup.ports.length,
        queues: setup.queues.length,
        callsPerSec: Math.round(median(ms.map((m) => m.callsPerSec))),
        p50Ms: round(median(ms.map((m) => m.p50Ms))),
        p99Ms: round(median(ms.map((m) => m.p99Ms))),
        redisUsPerCall: round(cpuTotal / Math.max(1, calls)),
        nodeShares: perNode.map((c) => round(c / Math.max(1, cpuTotal), 2)),
        netBytesPerCall: Math.round(ms.reduce((t, m) => t + m.net, 0) / Math.max(1, calls)),
        busPublishesPerCall: round(ms.reduce((t, m) => t + m.bus, 0) / Math.max(1, calls)),
        errors: ms.reduce((t, m) => t + m.errors, 0),
        reps: ms.map((m) => Math.round(m.callsPerSec)),
        loadAvg: ms.map((m) => m.load),
      };
    });
  } finally {
    await cluster?.stop();
    await server.stop();
  }
}

export function formatClusterReport(rows: readonly ClusterBenchRow[]): string {
  const base = rows[0]?.callsPerSec ?? 0;
  const lines = [
    `taskwire on one node vs a 3-primary Cluster: ${IN_FLIGHT} calls in flight from one client, ${WORKERS} worker processes (concurrency ${WORKER_CONCURRENCY}), ${BASE_PAYLOAD_BYTES} B inputs`,
    '',
    'setup                               queues  calls/s   vs one node  p50 ms  p99 ms  Redis us/call  net B/call  bus pub/call  CPU share per node  (calls/s of each rep; load average)',
  ];
  for (const r of rows) {
    lines.push(
      `${r.setup.padEnd(35)} ${String(r.queues).padStart(6)}  ${String(r.callsPerSec).padStart(7)}  ${`${(r.callsPerSec / Math.max(1, base)).toFixed(2)}x`.padStart(11)}  ${String(r.p50Ms).padStart(6)}  ${String(r.p99Ms).padStart(6)}  ${String(r.redisUsPerCall).padStart(13)}  ${String(r.netBytesPerCall).padStart(10)}  ${String(r.busPublishesPerCall).padStart(12)}  ${r.nodeShares.join(' / ').padEnd(18)}  (${r.reps.join(', ')}; ${r.loadAvg.join(', ')})`,
    );
  }
  lines.push(
    '',
    `One client process, ${WORKERS} worker processes and every Redis node share this machine's ${cpus().length} cores: a Cluster spreads Redis work over`,
    'shards but adds no cores, so calls/s cannot show a real speed-up here; differences within a run are noise when the load average',
    'is above the core count. Compare Redis us per call and each node\'s share of it, which is what shards divide.',
  );
  return lines.join('\n');
}
