import type { RedisSource } from '../../src/index.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { RedisSentinel } from '../support/redis-sentinel.js';
import { RedisServer } from '../support/redis-server.js';

/**
 * The Redis topologies the scale suites run on, one shape for all: `start()` brings up private
 * redis-server processes on loopback ports and says how taskwire reaches them; `stop()` kills
 * every process it started. A new topology is one more entry.
 */
export interface Topology {
  name: string;
  start(): Promise<StartedTopology>;
}

export interface StartedTopology {
  redis: RedisSource;
  stop(): Promise<void>;
}

export const singleNode: Topology = {
  name: 'single node',
  async start() {
    const server = await RedisServer.start();
    return { redis: server.url, stop: () => server.stop() };
  },
};

function cluster(name: string, replicas: number): Topology {
  return {
    name,
    async start() {
      const c = await RedisCluster.start(3, { replicas });
      return { redis: { cluster: c.nodes }, stop: () => c.stop() };
    },
  };
}

export const threePrimaries = cluster('3-primary Cluster', 0);
export const threePlusThree = cluster('3 primaries + 3 replicas Cluster', 1);

/** A primary, a replica and three sentinels; taskwire finds the primary through the sentinels. */
export const sentinel: Topology = {
  name: 'Sentinel (1 primary, 1 replica, 3 sentinels)',
  async start() {
    const s = await RedisSentinel.start();
    return { redis: s.redis, stop: () => s.stop() };
  },
};

export const topologies: readonly Topology[] = [singleNode, sentinel, threePrimaries, threePlusThree];
