import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/cli-io.js';

/**
 * `taskwire …` run in this process (main() with a captured CliIo): for commands that load
 * contract modules the test itself builds, without a child process per run. Commands that
 * need a terminal or signals use cli-process.ts instead.
 */
export async function taskwireInProcess(args: readonly string[], cwd = process.cwd()): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    cwd,
    env: {},
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    tty: { stdin: false, stdout: false, stderr: false },
    question: async () => '',
    stopped: () => new Promise(() => undefined),
  };
  const status = await main(args, io);
  return { status, stdout, stderr };
}
