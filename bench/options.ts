/**
 * How big a bench run is. One table of sizes per mode, so a smoke run exercises exactly the
 * code of a full run, only shorter.
 */
export type BenchMode = 'smoke' | 'quick' | 'full';

export interface BenchSizes {
  /** Repetitions of every timed measurement; the report keeps the median. */
  reps: number;
  /** Runs made at most per rep when other jobs load the machine (see matrix.ts); 1 = never retry. */
  attempts: number;
  /**
   * Sequential latency (also the "1 in flight" throughput): calls after a warm-up. The sequential
   * run is the first of a segment, on freshly started worker processes: 200 warm-up calls left
   * their JIT cold, which charged whichever system ran first on a worker kind (taskwire's key
   * mode; pubsub followed on warm workers) ~0.1 ms of p50. 2,000 removed that, not all of it
   * (segmentWarmupMs).
   */
  seqWarmupCalls: number;
  /**
   * Before anything is measured, each system runs this long at 100 in flight, unmeasured. 2,000
   * sequential warm-up calls still left fresh worker processes short of steady state: with one
   * worker process, whichever taskwire mode ran first on them had a sequential p99 of 1.5–2.4 ms,
   * the second 0.6–0.7 ms (session 5, three rounds of each order); with a 1 s burst first,
   * 0.6–1.4 ms whichever ran first. With two worker processes the burst did not remove it (first
   * 1.7–2.4 ms, second 0.6–1.0 ms); since then every system, each taskwire mode too, gets fresh
   * worker processes of its own (matrix.ts), so all run under the same conditions.
   */
  segmentWarmupMs: number;
  seqCalls: number;
  /** Time-based throughput windows (100 and 1,000 in flight, payload sweep, CPU-bound). */
  warmupMs: number;
  windowMs: number;
  /** Payload sizes of the sweep, in bytes of the input's `data` string. */
  payloadBytes: readonly number[];
  /** Calls in flight for the payload sweep and the CPU-bound runs. */
  sweepInFlight: number;
  /** Work per call of the CPU-bound handler, in milliseconds on this machine (calibrated once). */
  cpuWorkMs: number;
  /** Client memory: calls held in flight while RSS is read. */
  memInFlight: number;
  /** Client heap is read after `heapCheckpoint` calls and again after `heapTotal`. */
  heapCheckpoint: number;
  heapTotal: number;
  /** Calls queued (no worker) to measure Redis memory per queued call. */
  redisQueued: number;
}

/** Calls in flight for the throughput curves; 1 is the sequential run. */
export const IN_FLIGHT = [1, 100, 1000] as const;
/** Worker processes for the throughput curves and the CPU-bound runs. */
export const WORKER_PROCESSES = [1, 2] as const;
/** Handler concurrency of every worker process, the same for every system. */
export const WORKER_CONCURRENCY = 100;
/** Payload of the latency and throughput runs. */
export const BASE_PAYLOAD_BYTES = 100;

const SIZES: Record<BenchMode, BenchSizes> = {
  full: {
    reps: 3,
    attempts: 3,
    seqWarmupCalls: 2000,
    segmentWarmupMs: 1000,
    seqCalls: 2000,
    warmupMs: 700,
    windowMs: 3000,
    payloadBytes: [100, 10_000, 1_000_000],
    sweepInFlight: 100,
    cpuWorkMs: 1,
    memInFlight: 10_000,
    heapCheckpoint: 10_000,
    heapTotal: 1_000_000,
    redisQueued: 10_000,
  },
  quick: {
    reps: 1,
    attempts: 2,
    seqWarmupCalls: 1000,
    segmentWarmupMs: 500,
    seqCalls: 1000,
    warmupMs: 500,
    windowMs: 2000,
    payloadBytes: [100, 10_000, 1_000_000],
    sweepInFlight: 100,
    cpuWorkMs: 1,
    memInFlight: 10_000,
    heapCheckpoint: 10_000,
    heapTotal: 100_000,
    redisQueued: 10_000,
  },
  smoke: {
    reps: 1,
    // Windows of a few ms are below /proc's 10 ms resolution: outside load cannot be told.
    attempts: 1,
    seqWarmupCalls: 5,
    segmentWarmupMs: 20,
    seqCalls: 30,
    warmupMs: 50,
    windowMs: 250,
    payloadBytes: [100, 10_000, 1_000_000],
    sweepInFlight: 10,
    cpuWorkMs: 0.2,
    memInFlight: 300,
    heapCheckpoint: 200,
    heapTotal: 1000,
    redisQueued: 200,
  },
};

export interface BenchOptions {
  mode: BenchMode;
  sizes: BenchSizes;
  /** Where results.json and results.svg go (bench/ by default). */
  outDir: string;
  /** `--cluster`: only the one-node vs 3-primary Cluster comparison (bench/cluster.ts). */
  cluster: boolean;
}

/** `--smoke` | `--quick` | (full), `--out <dir>`, `--cluster`; BENCH_MODE=smoke|quick|full also works. */
export function parseOptions(argv: readonly string[], defaultOutDir: string, env = process.env): BenchOptions {
  let mode: BenchMode = 'full';
  const fromEnv = env['BENCH_MODE'];
  if (fromEnv === 'smoke' || fromEnv === 'quick' || fromEnv === 'full') mode = fromEnv;
  let outDir = defaultOutDir;
  let cluster = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--smoke') mode = 'smoke';
    else if (arg === '--quick') mode = 'quick';
    else if (arg === '--full') mode = 'full';
    else if (arg === '--cluster') cluster = true;
    else if (arg === '--out') {
      const dir = argv[++i];
      if (!dir) throw new Error('--out needs a directory');
      outDir = dir;
    } else throw new Error(`unknown option ${arg} (use --smoke, --quick, --full, --out <dir>, --cluster)`);
  }
  return { mode, sizes: SIZES[mode], outDir, cluster };
}
