import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, expect } from 'vitest';
import { generate } from '../../codegen/generate.js';
import { createWorker, type Handlers, type Worker } from '../../src/index.js';
import type { RouterShape } from '../../src/contract/router.js';
import { quietLogger } from '../support/fixtures.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';
import { compileErrors } from './compile-output.js';
import { REPO_ROOT } from './golden.js';

/**
 * Generates a client into test/.tmp (inside the package, so its `import 'taskwire'` resolves to
 * this package), proves it compiles standalone, and imports it.
 */
async function importGenerated<M>(contractFile: string): Promise<{ module: M; dispose(): void }> {
  const dir = join(REPO_ROOT, 'test/.tmp', `live-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'client.ts');
  const { text } = await generate({ file: contractFile, out, cwd: REPO_ROOT });
  writeFileSync(out, text);
  expect(compileErrors([out])).toEqual([]);
  const module = (await import(out)) as M;
  return { module, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

interface GeneratedModule<C> {
  createClient(options: { redis: string; prefix: string }): C & { $close(): Promise<void> };
}

/**
 * For a describe block: `start()` runs a worker of `workerContract` on a fresh prefix and a
 * client generated from `clientContractFile` (the two may differ: version skew). Everything is
 * closed and deleted after each test.
 */
export function liveGeneratedClients() {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    async start<M extends GeneratedModule<unknown>, R extends RouterShape>(
      clientContractFile: string,
      workerContract: R,
      handlers: Handlers<R>,
    ): Promise<{ module: M; client: ReturnType<M['createClient']>; worker: Worker }> {
      const prefix = randomPrefix();
      const worker = createWorker(workerContract, handlers, { redis: redisUrl(), prefix, logger: quietLogger });
      await worker.start();
      const insp = inspector(prefix);
      cleanups.push(() => insp.cleanup(), () => worker.close({ drainTimeoutMs: 1000 }));
      const live = await importGenerated<M>(clientContractFile);
      const client = live.module.createClient({ redis: redisUrl(), prefix }) as ReturnType<M['createClient']>;
      cleanups.push(live.dispose, () => client.$close());
      return { module: live.module, client, worker };
    },
  };
}
