import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { REPO_ROOT } from './packed-package.js';

/**
 * The `taskwire` command as users run it: the compiled bin in a child process. One helper for
 * every CLI test, bounded in time: a command that hangs fails its test instead of the run.
 */

export const CLI = join(REPO_ROOT, 'dist/src/cli/main.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** How long it ran, ms. */
  ms: number;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** Written to stdin (which is then closed). */
  input?: string;
  timeoutMs?: number;
}

/** Runs `taskwire …` to completion. */
export function taskwire(args: readonly string[], options: CliOptions = {}): CliResult {
  const start = Date.now();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    input: options.input ?? '',
    env: { ...process.env, ...options.env },
    timeout: options.timeoutMs ?? 20_000,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - start };
}

/**
 * Runs `taskwire …` to completion without blocking this process: needed whenever something in the
 * test process (an in-process worker) must keep running while the command runs, which
 * spawnSync's blocked event loop would stall.
 */
export function runTaskwire(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.stdin.end(options.input ?? '');
    const timer = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    proc.once('error', reject);
    proc.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: Date.now() - start });
    });
  });
}

/**
 * Runs `taskwire …` on a pseudo-terminal (util-linux `script`), for what only happens when a
 * person is at the terminal: prompts, in-place redraws, progress bars. stdout and stderr arrive
 * mixed, as on a screen. `input` is typed after a short pause.
 */
export function onTerminal(args: readonly string[], options: CliOptions & { wrap?: string } = {}): CliResult {
  const start = Date.now();
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const command = options.wrap ? `${options.wrap} ${quoted}` : quoted;
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    input: options.input ?? '',
    env: { ...process.env, ...options.env, TERM: 'xterm' },
    timeout: options.timeoutMs ?? 20_000,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - start };
}

/**
 * A long-running `taskwire …` (worker, dashboard, inspect --watch), killed when the test ends;
 * started from a beforeAll (`inTest: false`), the caller stops it in its afterAll.
 */
export class CliProcess {
  readonly proc: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[], options: CliOptions & { inTest?: boolean } = {}) {
    this.proc = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.proc.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
    if (options.inTest !== false) onTestFinished(() => this.kill());
  }

  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }

  /** Resolves with the first match of `pattern` in stdout (or stderr), or fails after `ms`. */
  async waitFor(pattern: RegExp, ms = 10_000, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpMatchArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = this[stream].match(pattern);
      if (m) return m;
      if (this.proc.exitCode !== null) throw new Error(`taskwire exited ${this.proc.exitCode} before ${pattern}: ${this.stderr}`);
      if (Date.now() > end) throw new Error(`no ${pattern} within ${ms} ms; stdout: ${this.stdout.slice(-500)} stderr: ${this.stderr.slice(-500)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Sends a signal and resolves with the exit code, or fails after `ms`. */
  async stop(signal: NodeJS.Signals = 'SIGINT', ms = 15_000): Promise<number | null> {
    this.proc.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`taskwire did not exit within ${ms} ms of ${signal}`)), ms);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Lines of stderr, without empty ones: a clear error is exactly one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}
