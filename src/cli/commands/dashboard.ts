import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { isIP } from 'node:net';
import { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { CliError, usageError } from '../cli-error.js';
import { redisOptions, redisTarget, type RedisFlags } from '../redis-flags.js';

interface DashboardFlags extends RedisFlags {
  port: string;
  host: string;
  allowActions?: boolean;
  refresh: string;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

export function dashboardCommand(io: CliIo): Command {
  return redisOptions(
    new Command('dashboard')
      .summary('serve the web dashboard (read-only unless --allow-actions)')
      .description(
        'Serves queues with their counts and throughput, workers, dead letters (browse, filter, show,\n' +
          'replay, purge) and running and delayed calls, updating live. It listens on 127.0.0.1 unless\n' +
          '--host says otherwise. Replay and purge need --allow-actions and the token printed at start\n' +
          '(or $TASKWIRE_DASHBOARD_TOKEN); without them the dashboard only reads.',
      )
      .option('--port <port>', 'TCP port (0: any free one)', '7777')
      .option('--host <address>', 'address to listen on; anything but loopback exposes queue contents to the network', '127.0.0.1')
      .option('--allow-actions', 'allow replay and purge, for holders of the printed token')
      .option('--refresh <ms>', 'how often the page refreshes its figures', '2000'),
  ).action(async (flags: DashboardFlags) => {
    const port = Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`bad --port ${JSON.stringify(flags.port)}: 0 to 65535`);
    const refreshMs = Number(flags.refresh);
    if (!Number.isInteger(refreshMs) || refreshMs < 250) throw usageError(`bad --refresh ${JSON.stringify(flags.refresh)}: milliseconds, at least 250`);
    const target = redisTarget(flags, io);
    const token = flags.allowActions ? (io.env['TASKWIRE_DASHBOARD_TOKEN'] ?? randomBytes(24).toString('base64url')) : undefined;
    const [{ openAdmin }, { createDashboardHandler }] = await Promise.all([
      import('../redis-connect.js'),
      import('../../dashboard/create-dashboard-handler.js'),
    ]);
    const admin = await openAdmin(target);
    const loopback = isLoopback(flags.host);
    const handler = createDashboardHandler({
      admin,
      refreshMs,
      ...(token === undefined ? {} : { actionToken: token }),
      ...(loopback ? { allowedHosts: ['localhost', '127.0.0.1', '::1', '[::1]', flags.host] } : {}),
    });
    const server = createServer(handler);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, flags.host, () => resolve());
      });
    } catch (err) {
      await admin.close();
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliError(code === 'EADDRINUSE' ? `port ${port} on ${flags.host} is in use (try --port 0 for any free one)` : `cannot listen on ${flags.host}:${port}: ${(err as Error).message}`);
    }
    const address = server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    const url = `http://${urlHost(flags.host)}:${bound}/`;
    io.stdout(`taskwire dashboard: ${url} (prefix ${target.prefix} at ${target.shown}), ${token === undefined ? 'read-only' : 'actions allowed'}\n`);
    if (token !== undefined) io.stdout(`action token: ${token}\nopen ${url}#token=${token} to replay and purge from this browser\n`);
    if (!loopback) io.stderr(`taskwire dashboard: listening on ${flags.host}, not loopback: anyone who reaches this port reads your queues' calls; put it behind authentication\n`);
    const signal = await io.stopped();
    io.stderr(`taskwire dashboard: ${signal}, closing\n`);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await handler.close();
    await admin.close();
  });
}
