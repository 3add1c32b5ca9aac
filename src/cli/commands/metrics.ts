import { createServer } from 'node:http';
import { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { parsePort, serveUntilStopped } from '../http-listener.js';
import { redisOptions, redisTarget, type RedisFlags } from '../redis-flags.js';

interface MetricsFlags extends RedisFlags {
  port: string;
  host: string;
}

export function metricsCommand(io: CliIo): Command {
  return redisOptions(
    new Command('metrics')
      .summary('serve queue gauges for Prometheus at /metrics')
      .description(
        'Serves, at /metrics, the waiting, running, delayed and dead calls and the live workers of\n' +
          'every queue under the prefix, in Prometheus\' text format, read from Redis at each scrape\n' +
          '(the figures `taskwire inspect` prints). Call metrics (latency, outcomes, retries) come from\n' +
          'the clients and workers themselves: see docs/OBSERVABILITY.md.',
      )
      .option('--port <port>', 'TCP port (0: any free one)', '9464')
      .option('--host <address>', 'address to listen on (0.0.0.0 for a Prometheus on another host)', '127.0.0.1'),
  ).action(async (flags: MetricsFlags) => {
    const port = parsePort(flags.port);
    const target = redisTarget(flags, io);
    const [{ openAdmin }, { createMetricsHandler }] = await Promise.all([import('../redis-connect.js'), import('../../dashboard/create-metrics-handler.js')]);
    const admin = await openAdmin(target);
    const handler = createMetricsHandler({ admin });
    const server = createServer((req, res) => {
      if (new URL(req.url ?? '/', 'http://metrics.invalid').pathname === '/metrics') return handler(req, res);
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('taskwire metrics: scrape /metrics\n');
    });
    await serveUntilStopped(
      io,
      'metrics',
      server,
      port,
      flags.host,
      (url) => io.stdout(`taskwire metrics: ${url}metrics (prefix ${target.prefix} at ${target.shown})\n`),
      async () => {
        await handler.close();
        await admin.close();
      },
    );
  });
}
