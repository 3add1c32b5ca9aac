import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisSource } from '../../src/index.js';
import { freePort, RedisServer } from './redis-server.js';

/**
 * A Sentinel-managed Redis from private processes on free loopback ports: one primary, its
 * replicas (one by default) and three sentinels (quorum 2), with short timings so a failover
 * takes a few seconds: the primary counts as down after `downAfterMs` (default 1 s), and a
 * failover is retried after `failoverTimeoutMs`. For tests and bench/durability.ts.
 */

export const SENTINEL_MASTER = 'mymaster';

export interface SentinelOptions {
  replicas?: number;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
}

function cli(port: number, ...args: string[]): string {
  return spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 5_000 }).stdout?.trim() ?? '';
}

async function until(what: string, boundMs: number, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`sentinel harness: ${what} not within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One `redis-server <conf> --sentinel` process (it rewrites its config file, so it gets a directory of its own). */
class SentinelProcess {
  readonly port: number;
  readonly #dir: string;
  readonly #proc: ChildProcess;

  private constructor(port: number, dir: string, proc: ChildProcess) {
    this.port = port;
    this.#dir = dir;
    this.#proc = proc;
  }

  static async start(primaryPort: number, o: Required<SentinelOptions>): Promise<SentinelProcess> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'taskwire-sentinel-'));
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(conf, [
      `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'loglevel warning',
      `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${primaryPort} 2`,
      `sentinel down-after-milliseconds ${SENTINEL_MASTER} ${o.downAfterMs}`,
      `sentinel failover-timeout ${SENTINEL_MASTER} ${o.failoverTimeoutMs}`,
      `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
      '',
    ].join('\n'));
    const proc = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
    const s = new SentinelProcess(port, dir, proc);
    try {
      await until(`sentinel on port ${port} answering`, 10_000, () => {
        if (proc.exitCode !== null) throw new Error(`sentinel on port ${port} exited at start`);
        return cli(port, 'ping') === 'PONG';
      });
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  /** `SENTINEL <args>` on this sentinel, one line per word of the reply. */
  ask(...args: string[]): string[] {
    return cli(this.port, 'sentinel', ...args).split('\n').filter((l) => l !== '');
  }

  async stop(): Promise<void> {
    const proc = this.#proc;
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGKILL');
      await exited;
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** The shape a topology-parameterised suite takes: where to connect, and one cleanup. */
export interface Topology {
  readonly name: string;
  readonly redis: RedisSource;
  stop(): Promise<void>;
}

export class RedisSentinel implements Topology {
  readonly name = 'sentinel';
  readonly servers: RedisServer[];
  readonly #sentinels: SentinelProcess[];

  private constructor(servers: RedisServer[], sentinels: SentinelProcess[]) {
    this.servers = servers;
    this.#sentinels = sentinels;
  }

  static async start(options: SentinelOptions = {}): Promise<RedisSentinel> {
    const o = { replicas: 1, downAfterMs: 1_000, failoverTimeoutMs: 3_000, ...options };
    const servers: RedisServer[] = [];
    const sentinels: SentinelProcess[] = [];
    try {
      const primary = await RedisServer.start();
      servers.push(primary);
      for (let i = 0; i < o.replicas; i++) servers.push(await RedisServer.start({ config: { replicaof: ['127.0.0.1', String(primary.port)] } }));
      await until('replicas in sync', 20_000, () => cli(primary.port, 'info', 'replication').includes(`connected_slaves:${o.replicas}`) && servers.slice(1).every((r) => cli(r.port, 'info', 'replication').includes('master_link_status:up')));
      for (let i = 0; i < 3; i++) sentinels.push(await SentinelProcess.start(primary.port, o));
      const t = new RedisSentinel(servers, sentinels);
      // A failover needs every sentinel to know the replicas and a quorum of the others (hello messages, every 2 s).
      await until('sentinels discovering each other and the replicas', 30_000, () =>
        sentinels.every((s) => t.#count(s, 'replicas') === o.replicas && t.#count(s, 'sentinels') === 2),
      );
      return t;
    } catch (err) {
      await Promise.all([...sentinels.map((s) => s.stop()), ...servers.map((s) => s.stop())]);
      throw err;
    }
  }

  /** How many replicas or other sentinels a sentinel knows (entries of `SENTINEL replicas|sentinels`, each with a `name`). */
  #count(s: SentinelProcess, what: 'replicas' | 'sentinels'): number {
    return s.ask(what, SENTINEL_MASTER).filter((l) => l === 'name').length;
  }

  get sentinels(): Array<{ host: string; port: number }> {
    return this.#sentinels.map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  /** What to pass as `redis` to createClient, createWorker and createAdmin. */
  get redis(): { sentinels: Array<{ host: string; port: number }>; name: string } {
    return { sentinels: this.sentinels, name: SENTINEL_MASTER };
  }

  /** The primary's port as the first sentinel that answers says. */
  primaryPort(): number {
    for (const s of this.#sentinels) {
      const [, port] = s.ask('get-master-addr-by-name', SENTINEL_MASTER);
      if (port !== undefined && /^\d+$/.test(port)) return Number(port);
    }
    throw new Error('sentinel harness: no sentinel names a primary');
  }

  primary(): RedisServer {
    const port = this.primaryPort();
    const s = this.servers.find((x) => x.port === port);
    if (!s) throw new Error(`sentinel harness: the primary ${port} is not one of ours`);
    return s;
  }

  /** Waits until every sentinel names a primary other than `oldPort` (the failover finished); answers its port. */
  async failedOver(oldPort: number, boundMs = 30_000): Promise<number> {
    await until(`failover away from ${oldPort}`, boundMs, () =>
      this.#sentinels.every((s) => {
        const port = Number(s.ask('get-master-addr-by-name', SENTINEL_MASTER)[1]);
        return port !== oldPort && cli(port, 'role').startsWith('master');
      }),
    );
    return this.primaryPort();
  }

  /** Waits until `server` replicates the current primary (after a restart, sentinels make it a replica). */
  async replicating(server: RedisServer, boundMs = 30_000): Promise<void> {
    await until(`port ${server.port} replicating`, boundMs, () => {
      const info = cli(server.port, 'info', 'replication');
      return info.includes('role:slave') && info.includes('master_link_status:up') && info.includes(`master_port:${this.primaryPort()}`);
    });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#sentinels.map((s) => s.stop()), ...this.servers.map((s) => s.stop())]);
  }
}

/** Starts a Sentinel topology for a suite parameterised by topology (`{ name, redis, stop }`). */
export function startSentinel(options?: SentinelOptions): Promise<RedisSentinel> {
  return RedisSentinel.start(options);
}
