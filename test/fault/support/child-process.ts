import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Every process a fault test starts (workers, the leak test's client) is tracked here:
 * `killAllChildren()` belongs in cleanup, and a last-resort exit hook kills whatever a crashed
 * test left behind.
 */

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export interface TrackedChild {
  readonly child: ChildProcess;
  /** Resolves when the process has exited, with how. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last 20 kB the process wrote to stderr, for failure messages. */
  stderr(): string;
}

/**
 * Starts `node [nodeArgs] --import tsx <entry>` in the repo, with an IPC channel and `env` added
 * to the environment.
 */
export function spawnTsx(entry: string, env: Record<string, string>, nodeArgs: readonly string[] = []): TrackedChild {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], {
    cwd: REPO,
    env: { ...process.env, ...env },
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
  return { child, exited, stderr: () => stderr };
}

/** SIGKILLs every child still running (stopped ones too) and waits for them to go. */
export async function killAllChildren(): Promise<void> {
  const waits = [...live].map((c) => new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(undefined) : c.once('exit', resolve))));
  for (const c of live) c.kill('SIGKILL');
  await Promise.all(waits);
}
