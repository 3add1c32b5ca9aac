#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { isTaskwireError } from '../errors.js';
import { ownPackage } from '../own-package.js';
import type { CliIo } from './cli-io.js';
import { CliError } from './cli-error.js';
import { breakingCommand } from './commands/breaking.js';
import { callCommand } from './commands/call.js';
import { codegenCommand } from './commands/codegen.js';
import { dashboardCommand } from './commands/dashboard.js';
import { dlqCommand } from './commands/dlq.js';
import { inspectCommand } from './commands/inspect.js';
import { metricsCommand } from './commands/metrics.js';
import { schemaCommand } from './commands/schema.js';
import { workerCommand } from './commands/worker.js';

/**
 * The `taskwire` command: wiring only. Parsing is commander's; each command is defined and run
 * in its own file under commands/. Codegen's implementation is imported only when it runs, so
 * nothing else loads ts-morph.
 */

function flat(text: string): string {
  return text.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim();
}

/** Every command (and subcommand) reports through `io`, throws instead of exiting, and names itself in errors. */
function configure(cmd: Command, io: CliIo, path: string): void {
  cmd
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => write(`${path}: ${flat(s)} (see ${path} --help)\n`),
    });
  for (const sub of cmd.commands) configure(sub, io, `${path} ${sub.name()}`);
}

function program(io: CliIo): Command {
  const root = new Command('taskwire')
    .usage('<command> [options]')
    .description('Type-safe RPC over Redis queues: operators\' tools and the typed client generator.')
    .version(ownPackage().version, '--version, -v', "print taskwire's version")
    .addHelpCommand(false)
    .addCommand(inspectCommand(io))
    .addCommand(dlqCommand(io))
    .addCommand(callCommand(io))
    .addCommand(workerCommand(io))
    .addCommand(dashboardCommand(io))
    .addCommand(metricsCommand(io))
    .addCommand(codegenCommand(io))
    .addCommand(breakingCommand(io))
    .addCommand(schemaCommand(io));
  configure(root, io, 'taskwire');
  return root;
}

/** Runs one command line; resolves with the exit code (0 done, 1 failed, 2 wrong usage). */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const root = program(io);
  if (argv.length === 0) {
    io.stdout(root.helpInformation());
    return 2;
  }
  // Errors name the command as typed (`taskwire dlq replay:`), as far as it names commands.
  let path = 'taskwire';
  let cmd: Command | undefined = root;
  for (const word of argv) {
    cmd = cmd.commands.find((c) => c.name() === word);
    if (!cmd) break;
    path = `${path} ${word}`;
  }
  try {
    await root.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end "with an error" in commander; they are successes here. Help shown
      // because a subcommand is missing (`taskwire dlq`) is wrong usage.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    if (err instanceof CliError) {
      if (err.message !== '') io.stderr(`${path}: ${err.message}\n`);
      return err.exitCode;
    }
    if (isTaskwireError(err)) {
      io.stderr(`${path}: ${err.code}: ${flat(err.message)}\n`);
      return err.code === 'VALIDATION' ? 2 : 1;
    }
    // ioredis' ReplyError: Redis answered, and said no (NOPERM for a read-only user, OOM, ...).
    // By name, not instanceof: main.ts does not load ioredis for commands that never use it.
    if (err instanceof Error && err.name === 'ReplyError') {
      io.stderr(`${path}: Redis refused: ${flat(err.message.replace(/^EXECABORT Transaction discarded because of: /, ''))}\n`);
      return 1;
    }
    io.stderr(`${path}: internal error: ${flat(err instanceof Error ? err.message : String(err))}\n`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    // npm links bin entries; compare real paths so a symlinked `taskwire` still counts.
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

function processIo(): CliIo {
  let stop: Promise<NodeJS.Signals> | undefined;
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    tty: { stdin: process.stdin.isTTY === true, stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
    question: (prompt) =>
      new Promise((resolve) => {
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        let answered = false;
        rl.question(prompt, (answer) => {
          answered = true;
          rl.close();
          resolve(answer);
        });
        rl.on('close', () => {
          if (!answered) resolve('');
        });
      }),
    stopped: () =>
      (stop ??= new Promise((resolve) => {
        const on = (signal: NodeJS.Signals) => {
          process.off('SIGINT', on);
          process.off('SIGTERM', on);
          resolve(signal);
        };
        process.on('SIGINT', on);
        process.on('SIGTERM', on);
      })),
  };
}

if (isEntryPoint()) {
  main(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
      // Everything is closed by now; should a handle linger (a socket in TIME_WAIT, a stuck
      // close), the command still ends instead of hanging. unref: a clean exit does not wait for it.
      setTimeout(() => process.exit(code), 2_000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`taskwire: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
