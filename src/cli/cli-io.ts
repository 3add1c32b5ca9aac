/** What a command may touch of its process: passed in, so commands run in tests without spawning. */
export interface CliIo {
  readonly cwd: string;
  /** REDIS_URL, TASKWIRE_PREFIX. */
  readonly env: Readonly<Record<string, string | undefined>>;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether a person is at each stream: prompts, in-place redraws and progress bars need one. */
  readonly tty: { readonly stdin: boolean; readonly stdout: boolean; readonly stderr: boolean };
  /** Asks on stderr and reads one line from stdin (confirmations); '' when stdin ends. */
  question(prompt: string): Promise<string>;
  /** Settles on the first SIGINT or SIGTERM: long-running commands (watch, worker, dashboard) stop cleanly. */
  stopped(): Promise<NodeJS.Signals>;
}
