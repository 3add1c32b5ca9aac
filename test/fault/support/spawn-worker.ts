import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerStats } from '../../../src/worker/types.js';
import type { ToChild, ToParent, WorkerProcessConfig } from './worker-process.js';

/**
 * Runs taskwire workers in child processes, so fault tests can SIGKILL, SIGSTOP or SIGTERM a
 * real process. Every child is tracked here: `killAllWorkers()` belongs in afterEach, and a
 * last-resort exit hook kills whatever a crashed test left behind.
 */

const ENTRY = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export type Probe = Extract<ToParent, { type: 'probe' }>;

export interface FaultWorker {
  readonly pid: number;
  /** The taskwire worker id (names its connections and claim list). */
  readonly workerId: string;
  /** Resolves when the process has exited, with how. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly alive: boolean;
  signal(sig: NodeJS.Signals): void;
  /** Stats and Object.prototype as the live process sees them. */
  probe(timeoutMs?: number): Promise<Probe>;
  /** Stats written by the process as it exited (absent after SIGKILL). */
  finalStats(): WorkerStats | undefined;
  /** What the process wrote to stderr (its logger), for failure messages. */
  stderr(): string;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** A temp folder per test holding the run log (one line per handler run) and stats files. */
export class RunLog {
  readonly dir = mkdtempSync(join(tmpdir(), 'taskwire-fault-'));
  readonly file = join(this.dir, 'runs.log');

  /** Handler runs per call input id, over every process that wrote to this log. */
  runs(): Map<string, number> {
    const counts = new Map<string, number>();
    if (!existsSync(this.file)) return counts;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      const id = line.slice(line.indexOf(' ') + 1);
      if (line) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface SpawnWorkerOptions {
  url: string;
  prefix: string;
  log: RunLog;
  options?: WorkerProcessConfig['options'];
  shutdown?: WorkerProcessConfig['shutdown'];
  readyTimeoutMs?: number;
}

export async function spawnWorker(o: SpawnWorkerOptions): Promise<FaultWorker> {
  const statsFile = join(o.log.dir, `stats-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const config: WorkerProcessConfig = {
    url: o.url,
    prefix: o.prefix,
    runLog: o.log.file,
    statsFile,
    options: o.options ?? {},
    shutdown: o.shutdown ?? 'closeOnSignals',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    cwd: REPO,
    env: { ...process.env, TW_FAULT_WORKER: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  const probes: Array<(p: Probe) => void> = [];
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker process not ready in time:\n${stderr}`)), o.readyTimeoutMs ?? 15_000);
    child.on('message', (m: ToParent) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m.workerId);
      } else probes.shift()?.(m);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited before ready (code ${code}, signal ${signal}):\n${stderr}`));
    });
  });
  let workerId: string;
  try {
    workerId = await ready;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  let alive = true;
  void exited.then(() => (alive = false));
  return {
    pid: child.pid ?? -1,
    workerId,
    exited,
    get alive() {
      return alive;
    },
    signal: (sig) => {
      if (alive) child.kill(sig);
    },
    probe: (timeoutMs = 5_000) =>
      new Promise<Probe>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('worker process did not answer a probe')), timeoutMs);
        probes.push((p) => {
          clearTimeout(timer);
          resolve(p);
        });
        child.send({ type: 'probe' } satisfies ToChild);
      }),
    finalStats: () => (existsSync(statsFile) ? (JSON.parse(readFileSync(statsFile, 'utf8')) as WorkerStats) : undefined),
    stderr: () => stderr,
  };
}

/** SIGKILLs every worker process still running (stopped ones too) and waits for them to go. */
export async function killAllWorkers(): Promise<void> {
  const waits = [...live].map((c) => new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(undefined) : c.once('exit', resolve))));
  for (const c of live) c.kill('SIGKILL');
  await Promise.all(waits);
}
