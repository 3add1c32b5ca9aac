import type { Redis } from 'ioredis';

/**
 * The names taskwire gives its connections (see src/client/caller.ts and
 * src/worker/create-worker.ts), so a test can cut exactly one role's connection.
 */
export const connectionNames = {
  workerCommands: (workerId: string) => `tw-worker-${workerId}`,
  workerFetcher: (workerId: string, queue = 'default') => `tw-worker-${workerId}-${queue}`,
  workerCancel: (workerId: string) => `tw-worker-${workerId}-cancel`,
  clientCommands: (clientId: string) => `tw-client-${clientId}`,
  clientInbox: (clientId: string) => `tw-client-${clientId}-inbox`,
  clientPubSub: (clientId: string) => `tw-client-${clientId}-sub`,
};

/** CLIENT KILL of every connection whose name is one of `names`; resolves with the names cut. */
export async function killConnections(redis: Redis, names: readonly string[]): Promise<string[]> {
  const wanted = new Set(names);
  const killed: string[] = [];
  for (const line of ((await redis.client('LIST')) as string).split('\n')) {
    const id = /\bid=(\d+)/.exec(line)?.[1];
    const name = /\bname=(\S*)/.exec(line)?.[1];
    if (id === undefined || name === undefined || !wanted.has(name)) continue;
    await redis.client('KILL', 'ID', id);
    killed.push(name);
  }
  return killed.sort();
}
