import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerStats } from '../../../src/worker/types.js';
import { killAllChildren, spawnTsx } from './child-process.js';
import type { ToChild, ToParent, WorkerProcessConfig } from './worker-process.js';

/**
 * Runs taskwire workers in child processes, so fault tests can SIGKILL, SIGSTOP or SIGTERM a
 * real process. Every child is tracked (child-process.ts): `killAllWorkers()` belongs in
 * afterEach.
 */

const ENTRY = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

export type Probe = Extract<ToParent, { type: 'probe' }>;

export interface FaultWorker {
  readonly pid: number;
  /** The taskwire worker id (names its connections). */
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

/** A temp folder per test holding the run log (one line per handler run) and stats files. */
export class RunLog {
  readonly dir = mkdtempSync(join(tmpdir(), 'taskwire-fault-'));
  readonly file = join(this.dir, 'runs.log');

  /** Lines `<pid> <call input id> <taskwire call id>` (see appendRun). */
  #lines(): Array<{ id: string; callId: string }> {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [, id = '', callId = ''] = line.split(' ');
        return { id, callId };
      });
  }

  /** Handler runs per call input id, over every process that wrote to this log. */
  runs(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { id } of this.#lines()) counts.set(id, (counts.get(id) ?? 0) + 1);
    return counts;
  }

  /** Taskwire call id → call input id, of every call a handler started. */
  callIds(): Map<string, string> {
    return new Map(this.#lines().map(({ id, callId }) => [callId, id]));
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
  const { child, exited, stderr: stderrText } = spawnTsx(ENTRY, { TW_FAULT_WORKER: JSON.stringify(config) });
  const probes: Array<(p: Probe) => void> = [];
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker process not ready in time:\n${stderrText()}`)), o.readyTimeoutMs ?? 15_000);
    child.on('message', (m: ToParent) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m.workerId);
      } else probes.shift()?.(m);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited before ready (code ${code}, signal ${signal}):\n${stderrText()}`));
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
    stderr: stderrText,
  };
}

/** SIGKILLs every process a fault test started (workers, stopped ones too) and waits for them to go. */
export const killAllWorkers = killAllChildren;
