import type { Server } from 'node:http';
import { isIP } from 'node:net';
import type { CliIo } from './cli-io.js';
import { CliError, usageError } from './cli-error.js';

/** What the commands that serve HTTP (`dashboard`, `metrics`) share: the port flag, listening, the URL. */

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** The host names a handler on a loopback address answers for (DNS rebinding). */
export function loopbackHosts(host: string): string[] {
  return ['localhost', '127.0.0.1', '::1', '[::1]', host];
}

export function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`bad --port ${JSON.stringify(text)}: 0 to 65535`);
  return port;
}

/** Listens, and resolves with the URL it serves (the port bound when 0 was asked); a busy port is one clear line. */
export async function listen(server: Server, port: number, host: string): Promise<string> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'EADDRINUSE' ? `port ${port} on ${host} is in use (try --port 0 for any free one)` : `cannot listen on ${host}:${port}: ${(err as Error).message}`);
  }
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${bound}/`;
}

/**
 * Serves until the process is told to stop (SIGINT, SIGTERM): listens, `announce`s the URL, and
 * at the signal closes the connections, the server, then `close` (the handler, the admin);
 * `close` also runs when listening fails.
 */
export async function serveUntilStopped(io: CliIo, command: string, server: Server, port: number, host: string, announce: (url: string) => void, close: () => Promise<void>): Promise<void> {
  let url: string;
  try {
    url = await listen(server, port, host);
  } catch (err) {
    await close();
    throw err;
  }
  announce(url);
  const signal = await io.stopped();
  io.stderr(`taskwire ${command}: ${signal}, closing\n`);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await close();
}
