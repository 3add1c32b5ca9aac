/** What a command may touch of its process: passed in, so commands run in tests without spawning. */
export interface CliIo {
  readonly cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
}
