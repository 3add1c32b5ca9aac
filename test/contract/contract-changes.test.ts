import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { Change, Runtime } from '../../src/contract/compatibility.js';
import { listTasks, type RouterShape } from '../../src/contract/router.js';
import { createClient, createWorker, isTaskwireError } from '../../src/index.js';
import { taskwireInProcess } from '../support/cli-in-process.js';
import { quietLogger } from '../support/fixtures.js';
import { REPO_ROOT } from '../support/packed-package.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';
import { CHANGES, type ContractChange } from './contract-changes.js';

const tmp = join(REPO_ROOT, 'test/.tmp', `changes-${randomBytes(4).toString('hex')}`);
mkdirSync(tmp, { recursive: true });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `taskwire breaking` on a row: two modules that export its versions, compared with --json. */
async function verdict(index: number): Promise<Change[]> {
  const table = join(REPO_ROOT, 'test/contract/contract-changes.ts');
  for (const side of ['before', 'after'] as const) {
    writeFileSync(join(tmp, `${side}-${index}.ts`), `import { CHANGES } from ${JSON.stringify(table)};\nexport const contract = CHANGES[${index}]!.${side};\n`);
  }
  const r = await taskwireInProcess(['breaking', join(tmp, `after-${index}.ts`), '--against', join(tmp, `before-${index}.ts`), '--json']);
  expect(r.stderr).toBe('');
  const report = JSON.parse(r.stdout) as { changes: Change[]; breaking: number };
  expect(r.status).toBe(report.breaking > 0 ? 1 : 0);
  return report.changes;
}

/** What the verdict says a side's call does: `ok`, or the code the runtime fails it with. */
function predicted(changes: Change[], task: string, side: 'oldCallers' | 'oldWorkers'): 'ok' | Runtime {
  const hit = changes.find((c) => c.task === task && c[side]) ?? changes.find((c) => c[side] && c.field === 'task');
  return hit?.[side]?.runtime ?? 'ok';
}

type Observed = { ok: true; value: unknown } | { ok: false; code: string };

/** A worker of one version and a client of the other on a fresh prefix; one call; everything closed and deleted after. */
async function observe(workerSide: RouterShape, handlers: Record<string, unknown>, clientSide: RouterShape, c: { task: string; input: unknown }): Promise<Observed> {
  const prefix = randomPrefix();
  const url = redisUrl();
  const worker = createWorker(workerSide, handlers as never, { redis: url, prefix, logger: quietLogger });
  await worker.start();
  const client = createClient(clientSide, { redis: url, prefix });
  const insp = inspector(prefix, url);
  try {
    const stub = (client as unknown as Record<string, (input: unknown, o: object) => Promise<unknown>>)[c.task];
    if (!stub) throw new Error(`no stub ${c.task}`);
    return { ok: true, value: await stub(c.input, { timeoutMs: 5_000 }) };
  } catch (err) {
    if (!isTaskwireError(err)) throw err;
    return { ok: false, code: err.code };
  } finally {
    await client.$close();
    await worker.close({ drainTimeoutMs: 500 });
    await insp.cleanup();
  }
}

function outputSchema(contract: RouterShape, path: string): z.ZodType {
  const found = listTasks(contract).find((t) => t.path === path);
  if (!found) throw new Error(`no task ${path}`);
  return found.task.output;
}

/**
 * The rule the test holds the check and the runtime to: "safe" never meets a failing call;
 * "breaks" never meets a call that returns data the caller's own contract refuses; a failing
 * call fails with the code the verdict predicted; and each row's probe does what the table says.
 */
function agree(observed: Observed, prediction: 'ok' | Runtime, expected: ContractChange['expect']['oldCallers'], callerContract: RouterShape, path: string): void {
  if (observed.ok) {
    // Whatever the verdict, a value that reaches the caller fits the caller's contract.
    expect(outputSchema(callerContract, path).safeParse(observed.value).success).toBe(true);
  } else {
    expect(prediction, 'a call failed where the verdict said safe').not.toBe('ok');
    expect(observed.code).toBe(prediction);
  }
  expect(observed.ok ? 'ok' : observed.code).toBe(expected);
}

describe('contract changes: the verdict of taskwire breaking agrees with what the runtime does', () => {
  it('the table holds at least 25 changes', () => {
    expect(CHANGES.length).toBeGreaterThanOrEqual(25);
  });

  it.each(CHANGES.map((row, i) => [row.name, i] as const))('%s', async (_name, i) => {
    const row = CHANGES[i]!;
    const changes = await verdict(i);
    // A change the schemas do not carry (timeouts, retries) is no change to them: nothing to break.
    const unseen = row.expect.oldCallers === 'ok' && row.expect.oldWorkers === 'ok';
    if (!unseen) expect(changes.length, 'the change is listed').toBeGreaterThan(0);
    const [oldCaller, newCaller] = await Promise.all([
      observe(row.after, row.handlers.after, row.before, row.oldCall),
      observe(row.before, row.handlers.before, row.after, row.newCall),
    ]);
    agree(oldCaller, predicted(changes, row.oldCall.task, 'oldCallers'), row.expect.oldCallers, row.before, row.oldCall.task);
    agree(newCaller, predicted(changes, row.newCall.task, 'oldWorkers'), row.expect.oldWorkers, row.after, row.newCall.task);
  });
});
