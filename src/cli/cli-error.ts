/**
 * A command's failure as the person at the terminal should read it: one line, and the exit
 * code (1 failed, 2 wrong usage). It never crosses the wire, so it is not a TaskwireError:
 * main.ts prints those too, with their code, but wire errors have no exit code or usage sense.
 */
export class CliError extends Error {
  readonly exitCode: 1 | 2;

  constructor(message: string, exitCode: 1 | 2 = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Wrong usage: exit 2. */
export function usageError(message: string): CliError {
  return new CliError(message, 2);
}
