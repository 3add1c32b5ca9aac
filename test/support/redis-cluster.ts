import { spawnSync } from 'node:child_process';
import { freePort, RedisServer } from './redis-server.js';

export interface RedisClusterOptions {
  /** Every node requires it (requirepass), as a managed cluster would. */
  password?: string;
  /** Replicas per primary (0: primaries only, enough for key layout and routing tests). */
  replicas?: number;
  /** cluster-node-timeout: how long a primary may be silent before its replica takes over. */
  nodeTimeoutMs?: number;
  /**
   * Each node also serves TLS on a port of its own (`tlsPortOf`), the cluster bus and replication
   * too, and announces itself by `announceHostname` (Redis 7): as managed clusters whose
   * certificates name hosts do. redis-cli and `cli()` keep using the plain ports.
   */
  tls?: { certFile: string; keyFile: string; caFile: string; announceHostname: string };
}

/** One node's view of itself, from CLUSTER NODES. */
export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'master' | 'slave';
  /** For a replica, the id of its primary. */
  primaryId: string | undefined;
  failed: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tlsConfig(tls: NonNullable<RedisClusterOptions['tls']>, tlsPort: number): Record<string, string> {
  return {
    'tls-port': String(tlsPort),
    'tls-cert-file': tls.certFile,
    'tls-key-file': tls.keyFile,
    'tls-ca-cert-file': tls.caFile,
    'tls-auth-clients': 'no',
    'tls-cluster': 'yes',
    'tls-replication': 'yes',
    'cluster-announce-hostname': tls.announceHostname,
    'cluster-preferred-endpoint-type': 'hostname',
  };
}

/**
 * A local Redis Cluster of `size` primaries, and optionally replicas of them, built from private
 * redis-server processes on free loopback ports. Failover tests kill a primary (`kill(port)`);
 * resharding tests move one slot (`moveSlot`).
 */
export class RedisCluster {
  readonly servers: RedisServer[];
  readonly #tlsPorts: ReadonlyMap<number, number>;

  private constructor(servers: RedisServer[], tlsPorts: ReadonlyMap<number, number>) {
    this.servers = servers;
    this.#tlsPorts = tlsPorts;
  }

  static async start(size = 3, options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const replicas = options.replicas ?? 0;
    const servers: RedisServer[] = [];
    const auth: Record<string, string> = options.password === undefined ? {} : { requirepass: options.password, masterauth: options.password };
    const config = {
      'cluster-enabled': 'yes',
      'cluster-config-file': 'nodes.conf',
      'cluster-node-timeout': String(options.nodeTimeoutMs ?? 2000),
      ...auth,
    };
    const tlsPorts = new Map<number, number>();
    try {
      for (let i = 0; i < size * (1 + replicas); i++) {
        const tlsPort = options.tls ? await freePort() : undefined;
        const server = await RedisServer.start({ config: { ...config, ...(options.tls && tlsPort ? tlsConfig(options.tls, tlsPort) : {}) } });
        servers.push(server);
        if (tlsPort) tlsPorts.set(server.port, tlsPort);
      }
      const create = spawnSync(
        'redis-cli',
        ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', String(replicas), '--cluster-yes', ...(servers[0]?.cliAuth ?? [])],
        { encoding: 'utf8', timeout: 30_000 },
      );
      if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
      const cluster = new RedisCluster(servers, tlsPorts);
      await cluster.waitHealthy(20_000);
      return cluster;
    } catch (err) {
      await Promise.all(servers.map((s) => s.stop()));
      throw err;
    }
  }

  /** Startup nodes for ioredis: the primaries and replicas alike (any of them finds the rest). */
  get nodes(): Array<{ host: string; port: number }> {
    return this.servers.map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  /** The TLS port of the node on `port` (with the `tls` option). */
  tlsPortOf(port: number): number {
    const tlsPort = this.#tlsPorts.get(port);
    if (tlsPort === undefined) throw new Error(`no TLS port for cluster node ${port}`);
    return tlsPort;
  }

  /** redis-cli against one node of the cluster (by port), its output trimmed. */
  cli(port: number, ...args: string[]): string {
    const auth = this.servers[0]?.cliAuth ?? [];
    const res = spawnSync('redis-cli', ['-p', String(port), ...auth, ...args], { encoding: 'utf8', timeout: 10_000 });
    return (res.stdout ?? '').trim();
  }

  #alive(): RedisServer[] {
    return this.servers.filter((s) => s.alive);
  }

  #anyPort(): number {
    const s = this.#alive()[0];
    if (!s) throw new Error('no cluster node is alive');
    return s.port;
  }

  /**
   * Waits until every live node says cluster_state:ok, agrees on which primaries serve the 16384
   * slots, and every live replica is in sync with its primary.
   */
  async waitHealthy(boundMs: number): Promise<void> {
    const deadline = Date.now() + boundMs;
    for (;;) {
      const alive = this.#alive();
      const views = alive.map((s) => this.topology(s.port));
      const ok = alive.every((s) => this.cli(s.port, 'cluster', 'info').includes('cluster_state:ok'));
      const sameView = new Set(views.map((v) => v.filter((n) => n.role === 'master' && !n.failed).map((n) => n.port).sort().join(','))).size === 1;
      const synced = alive.every((s) => {
        const info = this.cli(s.port, 'info', 'replication');
        return !info.includes('role:slave') || info.includes('master_link_status:up');
      });
      if (ok && sameView && synced) return;
      if (Date.now() > deadline) throw new Error(`cluster not healthy within ${boundMs} ms (ok ${ok}, same view ${sameView}, replicas synced ${synced})`);
      await sleep(100);
    }
  }

  /** CLUSTER NODES as one node sees them. */
  topology(port = this.#anyPort()): ClusterNodeInfo[] {
    return this.cli(port, 'cluster', 'nodes')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [id = '', addr = '', flags = '', primary = ''] = line.split(' ');
        return {
          id,
          port: Number(/:(\d+)@/.exec(addr)?.[1] ?? -1),
          role: flags.includes('master') ? 'master' : 'slave',
          primaryId: primary === '-' ? undefined : primary,
          // 'fail' or 'fail?' (suspected): either way not a node to route to.
          failed: flags.includes('fail'),
        } satisfies ClusterNodeInfo;
      });
  }

  /** The hash slot of a key. */
  slotOf(key: string): number {
    return Number(this.cli(this.#anyPort(), 'cluster', 'keyslot', key));
  }

  /** Which primary serves a slot (by port), as the cluster itself answers; -1 if none. */
  portOfSlot(slot: number): number {
    const lines = this.cli(this.#anyPort(), 'cluster', 'slots').split('\n');
    // Output groups: start, end, then ip, port, id of the primary and of each replica.
    for (let i = 0; i + 3 < lines.length; i++) {
      const start = Number(lines[i]);
      const end = Number(lines[i + 1]);
      if (Number.isInteger(start) && Number.isInteger(end) && slot >= start && slot <= end && lines[i + 2] === '127.0.0.1') return Number(lines[i + 3]);
    }
    return -1;
  }

  /** Which primary serves a key (by port). */
  portOf(key: string): number {
    return this.portOfSlot(this.slotOf(key));
  }

  /** Ports of the primaries serving slots now. */
  primaryPorts(): number[] {
    return this.topology().filter((n) => n.role === 'master' && !n.failed).map((n) => n.port);
  }

  /** The port of a replica of the primary on `port`, or -1. */
  replicaOf(port: number): number {
    return this.replicasOf(port)[0] ?? -1;
  }

  /** The ports of every replica of the primary on `port` (any of them may be promoted when it dies). */
  replicasOf(port: number): number[] {
    const nodes = this.topology();
    const primary = nodes.find((n) => n.port === port);
    return nodes.filter((n) => n.role === 'slave' && n.primaryId === primary?.id).map((n) => n.port);
  }

  server(port: number): RedisServer {
    const s = this.servers.find((x) => x.port === port);
    if (!s) throw new Error(`no cluster node on port ${port}`);
    return s;
  }

  /** SIGKILLs one node, like a crash. */
  async kill(port: number): Promise<void> {
    await this.server(port).kill('SIGKILL');
  }

  /** The node id of the node on `port`. */
  #idOf(port: number): string {
    const id = this.topology().find((n) => n.port === port)?.id;
    if (!id) throw new Error(`no cluster node on port ${port}`);
    return id;
  }

  /** Runs a CLUSTER SETSLOT or MIGRATE and throws unless it answered OK (or NOKEY). */
  #check(port: number, ...args: string[]): void {
    const out = this.cli(port, ...args);
    if (!/^OK|^NOKEY/.test(out)) throw new Error(`${args.join(' ')} on ${port}: ${out}`);
  }

  /**
   * Starts moving a slot to the primary on `toPort`: IMPORTING on the target, then MIGRATING on
   * the source, and nothing more (a test acts while the slot is half-moved; moveSlot finishes).
   */
  beginMove(slot: number, toPort: number): { fromPort: number } {
    const fromPort = this.portOfSlot(slot);
    if (fromPort === toPort) throw new Error(`slot ${slot} is already on ${toPort}`);
    this.#check(toPort, 'cluster', 'setslot', String(slot), 'importing', this.#idOf(fromPort));
    this.#check(fromPort, 'cluster', 'setslot', String(slot), 'migrating', this.#idOf(toPort));
    return { fromPort };
  }

  /**
   * Moves one hash slot, keys and all, to the primary on `toPort` while the cluster serves:
   * beginMove, MIGRATE the keys in batches until none is left, then SETSLOT NODE on both and on
   * every other primary (the order redis-cli --cluster reshard uses). Returns how many keys
   * moved and how long the slot was in migration. Finishes a move beginMove started (SETSLOT
   * IMPORTING/MIGRATING again are no-ops).
   */
  async moveSlot(slot: number, toPort: number, batch = 100): Promise<{ keys: number; ms: number; fromPort: number }> {
    const started = Date.now();
    const { fromPort } = this.beginMove(slot, toPort);
    let moved = 0;
    for (;;) {
      const keys = this.cli(fromPort, 'cluster', 'getkeysinslot', String(slot), String(batch)).split('\n').filter((k) => k !== '');
      if (keys.length === 0) break;
      const auth = this.servers[0]?.cliAuth.length ? ['AUTH', this.servers[0].cliAuth[1] ?? ''] : [];
      // No REPLACE: a key created on the target meanwhile must stop the move, not be overwritten.
      this.#check(fromPort, 'migrate', '127.0.0.1', String(toPort), '', '0', '5000', ...auth, 'KEYS', ...keys);
      moved += keys.length;
    }
    const target = this.#idOf(toPort);
    this.#check(toPort, 'cluster', 'setslot', String(slot), 'node', target);
    this.#check(fromPort, 'cluster', 'setslot', String(slot), 'node', target);
    for (const n of this.topology()) {
      if (n.role === 'master' && !n.failed && n.port !== toPort && n.port !== fromPort) this.cli(n.port, 'cluster', 'setslot', String(slot), 'node', target);
    }
    return { keys: moved, ms: Date.now() - started, fromPort };
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}
