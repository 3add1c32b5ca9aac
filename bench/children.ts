import { fork, type ChildProcess } from 'node:child_process';
import { compiled } from './compile.js';
import type { Endpoint, WorkerKind } from './systems/system.js';

export interface Message {
  type: string;
  [field: string]: unknown;
}

// Children still running when the bench exits (it crashed, or was interrupted) are killed, so
// no orphaned worker keeps serving, or holding the terminal's output pipe open.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});

/** A child process spoken to over IPC: wait for a message type, send one, stop it cleanly. */
export class Child {
  readonly #proc: ChildProcess;
  readonly #inbox: Message[] = [];
  #waiter: (() => void) | undefined;
  readonly #exited: Promise<number | null>;

  constructor(entry: string, args: readonly string[], nodeArgs: readonly string[] = []) {
    const proc = fork(compiled(entry), args, { execArgv: [...nodeArgs], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#proc = proc;
    live.add(proc);
    // A send racing the child's own exit fails with EPIPE; the exit is what we wait for anyway.
    proc.on('error', () => undefined);
    this.#proc.on('message', (m: Message) => {
      this.#inbox.push(m);
      this.#waiter?.();
    });
    this.#exited = new Promise((resolve) =>
      proc.once('exit', (code) => {
        live.delete(proc);
        resolve(code);
      }),
    );
    void this.#exited.then(() => this.#waiter?.());
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  /** The next message of this type (earlier ones of other types are kept for later). */
  async next<T extends Message>(type: string): Promise<T> {
    for (;;) {
      const i = this.#inbox.findIndex((m) => m.type === type);
      if (i >= 0) return this.#inbox.splice(i, 1)[0] as T;
      if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) {
        throw new Error(`child ${this.#proc.pid} exited (${this.#proc.exitCode ?? this.#proc.signalCode}) before sending "${type}"`);
      }
      await new Promise<void>((resolve) => (this.#waiter = resolve));
      this.#waiter = undefined;
    }
  }

  send(message: Message): void {
    this.#proc.send(message);
  }

  /** Asks the child to stop and waits for it; kills this one process if it does not exit in time. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    if (this.#proc.connected) this.#proc.send({ type: 'stop' });
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** `count` worker processes of one kind, each ready to serve before this resolves. */
export async function startWorkers(
  kind: WorkerKind,
  endpoint: Endpoint,
  count: number,
  concurrency: number,
  nodeArgs: readonly string[] = [],
): Promise<Child[]> {
  const children = Array.from(
    { length: count },
    () => new Child('worker-process', [kind, endpoint.url, endpoint.namespace, String(concurrency)], nodeArgs),
  );
  try {
    await Promise.all(children.map((c) => c.next('ready')));
  } catch (err) {
    await stopAll(children);
    throw err;
  }
  return children;
}

/** Calls each worker process has handled so far (see worker-process.ts). */
export async function handledCounts(children: readonly Child[]): Promise<number[]> {
  return Promise.all(
    children.map(async (c) => {
      c.send({ type: 'count' });
      return Number((await c.next<Message & { handled: number }>('count')).handled);
    }),
  );
}

export async function stopAll(children: readonly Child[]): Promise<void> {
  await Promise.all(children.map((c) => c.stop()));
}
