import type { FaultEnv } from './fault-env.js';
import type { FaultWorker, SpawnWorkerOptions } from './spawn-worker.js';

/**
 * Keeps one worker process running, like systemd or Kubernetes would: when it dies, a new one
 * is started at once. A process that dies before it reported ready (it took a poison call on
 * its first fetch) counts as a crash too. `stop()` ends the restarts; env.cleanup() kills the
 * last process.
 */
export class Supervisor {
  /** Exits seen (each followed by a restart while not stopped). */
  crashes = 0;
  readonly #env: FaultEnv;
  readonly #options: Omit<SpawnWorkerOptions, 'url' | 'prefix' | 'log'>;
  #stopped = false;
  #current: FaultWorker | undefined;
  readonly #loop: Promise<void>;

  constructor(env: FaultEnv, options: Omit<SpawnWorkerOptions, 'url' | 'prefix' | 'log'>) {
    this.#env = env;
    this.#options = options;
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        const w = (this.#current = await this.#env.worker(this.#options));
        if (this.#stopped) w.signal('SIGKILL');
        await w.exited;
      } catch {
        // Died before ready: a crash all the same.
      }
      if (!this.#stopped) this.crashes++;
    }
  }

  /** The worker process running now (undefined while one is starting). */
  get current(): FaultWorker | undefined {
    return this.#current?.alive ? this.#current : undefined;
  }

  /** Stops restarting and kills the current process; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#current?.signal('SIGKILL');
    await this.#loop;
  }
}
