import { fileURLToPath } from 'node:url';
import { spawnTsx } from '../../fault/support/child-process.js';
import type { LifecycleScenario } from './lifecycle-process.js';

const ENTRY = fileURLToPath(new URL('./lifecycle-process.ts', import.meta.url));

export interface LifecycleRun {
  /** null when the process was still running at the bound and was killed. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** When close() resolved in the process (ms since epoch), if it did. */
  closedAt: number | undefined;
  /** When the process exited, as seen here. */
  exitedAt: number;
  /** Log lines written after close() resolved. */
  logsAfterClose: string[];
}

/**
 * Runs a lifecycle scenario in a process of its own and waits for it to exit by itself, at most
 * `boundMs` (then it is killed, and `code` is null).
 */
export async function runLifecycle(scenario: LifecycleScenario, boundMs: number): Promise<LifecycleRun> {
  const run = spawnTsx(ENTRY, { TW_LIFECYCLE: JSON.stringify(scenario) });
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'bound'>((resolve) => (timer = setTimeout(() => resolve('bound'), boundMs)));
  const outcome = await Promise.race([run.exited, bound]);
  clearTimeout(timer);
  if (outcome === 'bound') {
    run.child.kill('SIGKILL');
    await run.exited;
  }
  const exitedAt = Date.now();
  const stderr = run.stderr();
  const closedAt = Number(/^closed (\d+)$/m.exec(stderr)?.[1]) || undefined;
  const logsAfterClose = stderr
    .split('\n')
    .filter((line) => {
      const at = Number(/^log (\d+) /.exec(line)?.[1]);
      return closedAt !== undefined && at >= closedAt;
    });
  return outcome === 'bound'
    ? { code: null, signal: 'SIGKILL', stderr, closedAt, exitedAt, logsAfterClose }
    : { ...outcome, stderr, closedAt, exitedAt, logsAfterClose };
}
