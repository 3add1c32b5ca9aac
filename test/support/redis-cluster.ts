import { spawnSync } from 'node:child_process';
import { RedisServer } from './redis-server.js';

/**
 * A local Redis Cluster of `size` masters built from private redis-server processes on free
 * loopback ports (no replicas: the tests are about key layout and routing, not failover).
 */
export class RedisCluster {
  readonly servers: RedisServer[];

  private constructor(servers: RedisServer[]) {
    this.servers = servers;
  }

  /** `password`: every node requires it (requirepass), as a managed cluster would. */
  static async start(size = 3, options: { password?: string } = {}): Promise<RedisCluster> {
    const servers: RedisServer[] = [];
    const auth: Record<string, string> = options.password === undefined ? {} : { requirepass: options.password, masterauth: options.password };
    try {
      for (let i = 0; i < size; i++) {
        servers.push(
          await RedisServer.start({ config: { 'cluster-enabled': 'yes', 'cluster-config-file': 'nodes.conf', 'cluster-node-timeout': '2000', ...auth } }),
        );
      }
      const create = spawnSync(
        'redis-cli',
        ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes', ...(servers[0]?.cliAuth ?? [])],
        { encoding: 'utf8', timeout: 30_000 },
      );
      if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
      const deadline = Date.now() + 20_000;
      for (const s of servers) {
        for (;;) {
          const info = spawnSync('redis-cli', ['-p', String(s.port), ...s.cliAuth, 'cluster', 'info'], { encoding: 'utf8' }).stdout;
          if (info.includes('cluster_state:ok')) break;
          if (Date.now() > deadline) throw new Error(`cluster node ${s.port} not ok within 20 s: ${info}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      return new RedisCluster(servers);
    } catch (err) {
      await Promise.all(servers.map((s) => s.stop()));
      throw err;
    }
  }

  get nodes(): Array<{ host: string; port: number }> {
    return this.servers.map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  /** Which node serves a key (by port), as the cluster itself answers. */
  portOf(key: string): number {
    const auth = this.servers[0]?.cliAuth ?? [];
    const slot = Number(spawnSync('redis-cli', ['-p', String(this.servers[0]?.port), ...auth, 'cluster', 'keyslot', key], { encoding: 'utf8' }).stdout.trim());
    const shards = spawnSync('redis-cli', ['-p', String(this.servers[0]?.port), ...auth, 'cluster', 'slots'], { encoding: 'utf8' }).stdout.split('\n');
    // Output groups: start, end, ip, port, id; good enough to find the owner of a slot.
    for (let i = 0; i + 3 < shards.length; i++) {
      const start = Number(shards[i]);
      const end = Number(shards[i + 1]);
      if (Number.isInteger(start) && Number.isInteger(end) && slot >= start && slot <= end && shards[i + 2] === '127.0.0.1') {
        return Number(shards[i + 3]);
      }
    }
    return -1;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}
