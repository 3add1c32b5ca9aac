import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';

/**
 * Starts private redis-server processes on free loopback ports, for tests (which kill and
 * restart them in fault tests), the demo and the bench. One place, so no copy drifts.
 */

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisServerOptions {
  port?: number;
  /**
   * Extra config as `--name value` pairs, e.g. { appendonly: 'yes' }; a directive of several
   * arguments as a list, e.g. { 'rename-command': ['CONFIG', '""'] }.
   */
  config?: Record<string, string | readonly string[]>;
  /** Data directory; a fresh temp dir by default (removed on stop unless kept). */
  dir?: string;
}

export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly #config: Record<string, string | readonly string[]>;
  readonly #ownDir: boolean;
  #proc: ChildProcess | undefined;

  private constructor(port: number, dir: string, ownDir: boolean, config: Record<string, string | readonly string[]>) {
    this.port = port;
    this.dir = dir;
    this.#ownDir = ownDir;
    this.#config = config;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    if (!redisServerAvailable()) {
      throw new Error('redis-server is not on PATH: install Redis 7 (apt-get install redis-server) or set REDIS_URL');
    }
    const port = options.port ?? (await freePort());
    const ownDir = options.dir === undefined;
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'taskwire-redis-'));
    const server = new RedisServer(port, dir, ownDir, options.config ?? {});
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** redis-cli arguments that log in, for a server started with `requirepass`. */
  get cliAuth(): string[] {
    const password = this.#config['requirepass'];
    return typeof password === 'string' ? ['-a', password, '--no-auth-warning'] : [];
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** Whether the process is running (started and neither killed nor exited). */
  get alive(): boolean {
    const proc = this.#proc;
    return proc !== undefined && proc.exitCode === null && proc.signalCode === null;
  }

  /** (Re)starts the process on the same port and directory. */
  async restart(): Promise<void> {
    const args = [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
      '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning',
      '--maxmemory-policy', 'noeviction',
    ];
    for (const [k, v] of Object.entries(this.#config)) args.push(`--${k}`, ...(typeof v === 'string' ? [v] : v));
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#proc = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited at start: ${stderr}`);
      const ping = spawnSync('redis-cli', ['-p', String(this.port), ...this.cliAuth, 'ping'], { encoding: 'utf8' });
      if (ping.stdout?.trim() === 'PONG') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on port ${this.port} did not answer within 10 s`);
  }

  /** SIGKILL, like a crash; resolves when the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill('SIGKILL');
    if (this.#ownDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Deletes every key under `<prefix>:` (tests and the demo clean up only what they created). */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}
