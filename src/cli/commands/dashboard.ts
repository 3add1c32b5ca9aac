import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { usageError } from '../cli-error.js';
import { isLoopback, loopbackHosts, parsePort, serveUntilStopped } from '../http-listener.js';
import { redisOptions, redisTarget, type RedisFlags } from '../redis-flags.js';

interface DashboardFlags extends RedisFlags {
  port: string;
  host: string;
  allowActions?: boolean;
  refresh: string;
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
    const port = parsePort(flags.port);
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
      ...(loopback ? { allowedHosts: loopbackHosts(flags.host) } : {}),
    });
    await serveUntilStopped(
      io,
      'dashboard',
      createServer(handler),
      port,
      flags.host,
      (url) => {
        io.stdout(`taskwire dashboard: ${url} (prefix ${target.prefix} at ${target.shown}), ${token === undefined ? 'read-only' : 'actions allowed'}\n`);
        if (token !== undefined) io.stdout(`action token: ${token}\nopen ${url}#token=${token} to replay and purge from this browser\n`);
        if (!loopback) io.stderr(`taskwire dashboard: listening on ${flags.host}, not loopback: anyone who reaches this port reads your queues' calls; put it behind authentication\n`);
      },
      async () => {
        await handler.close();
        await admin.close();
      },
    );
  });
}
