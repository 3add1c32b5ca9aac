/**
 * Codegen benchmark: how long `taskwire codegen` takes for a 200-task contract (target < 5 s),
 * and how long `tsc` takes to type-check calls of all 200 tasks through
 *   (a) the generated client (plain types, no inference), and
 *   (b) tRPC-style inference: `createClient(contract)` typed by `Client<typeof contract>`.
 *
 * Standalone: `npm run build && npx tsx bench/codegen.ts` (the CLI is timed from dist/).
 * bench/run.ts may import runCodegenBench() instead.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { generate } from '../codegen/generate.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const GROUPS = 20;
const PER_GROUP = 10;

export interface CodegenBenchResult {
  tasks: number;
  /** generate() in this process, contract import included. */
  generateMs: number;
  /** `node dist/src/cli/main.js codegen ...` wall time: process start, ts-morph load, write. */
  cliMs: number;
  generatedLines: number;
  checkGeneratedMs: number;
  checkInferredMs: number;
}

function contractSource(): string {
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    const tasks: string[] = [];
    for (let t = 0; t < PER_GROUP; t++) {
      tasks.push(`    task${t}: task({
      input: z.object({ id: z.string(), count: z.number().int().min(0), tags: z.array(z.string()).optional(), when: z.date(), mode: z.enum(['a', 'b', 'c']).default('a') }),
      output: z.object({ ok: z.boolean(), total: z.bigint(), items: z.array(z.object({ k: z.string(), v: z.number().nullable() })) }),
      errors: { NOT_FOUND: z.object({ id: z.string() }), BUSY: z.object({ retryInMs: z.number() }) },
      timeoutMs: ${1000 + t},
    }),`);
    }
    groups.push(`  group${g}: router({\n${tasks.join('\n')}\n  }),`);
  }
  return `import { z } from 'zod';\nimport { router, task } from '../../../src/contract/index.js';\n\nexport const contract = router({\n${groups.join('\n')}\n});\n`;
}

function callsSource(clientExpr: string, header: string): string {
  const calls: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    for (let t = 0; t < PER_GROUP; t++) {
      calls.push(`  const r${g}_${t} = await client.group${g}.task${t}({ id: 'x', count: ${t}, when: new Date() });\n  total += r${g}_${t}.total + BigInt(r${g}_${t}.items.length);`);
    }
  }
  return `${header}\nconst client = ${clientExpr};\n\nexport async function run(): Promise<bigint> {\n  let total = 0n;\n${calls.join('\n')}\n  return total;\n}\n`;
}

function typeCheckMs(files: string[]): { ms: number; errors: number } {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const started = performance.now();
  const program = ts.createProgram({ rootNames: files, options });
  const errors = files.reduce((n, f) => n + program.getSemanticDiagnostics(program.getSourceFile(f)).length, 0);
  return { ms: performance.now() - started, errors };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export async function runCodegenBench(runs = 3): Promise<CodegenBenchResult> {
  const dir = join(ROOT, 'bench/.tmp/codegen');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const contract = join(dir, 'contract.ts');
  const client = join(dir, 'client.ts');
  writeFileSync(contract, contractSource());

  let started = performance.now();
  const { text, taskCount } = await generate({ file: contract, out: client, cwd: ROOT });
  const generateMs = performance.now() - started;
  writeFileSync(client, text);

  started = performance.now();
  const cli = spawnSync(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'codegen', contract, '--out', join(dir, 'client-cli.ts')], { encoding: 'utf8' });
  const cliMs = performance.now() - started;
  if (cli.status !== 0) throw new Error(`taskwire codegen failed: ${cli.stderr}`);

  const generatedUse = join(dir, 'use-generated.ts');
  writeFileSync(generatedUse, callsSource(`createClient({ redis: 'redis://127.0.0.1:6379' })`, `import { createClient } from './client.js';`));
  const inferredUse = join(dir, 'use-inferred.ts');
  writeFileSync(
    inferredUse,
    callsSource(`createClient(contract, { redis: 'redis://127.0.0.1:6379' })`, `import { createClient } from '../../../src/index.js';\nimport { contract } from './contract.js';`),
  );

  const generated: number[] = [];
  const inferred: number[] = [];
  for (let i = 0; i < runs; i++) {
    const a = typeCheckMs([client, generatedUse]);
    const b = typeCheckMs([contract, inferredUse]);
    if (a.errors || b.errors) throw new Error(`bench sources do not type-check (${a.errors} / ${b.errors} errors)`);
    generated.push(a.ms);
    inferred.push(b.ms);
  }
  return {
    tasks: taskCount,
    generateMs,
    cliMs,
    generatedLines: text.split('\n').length,
    checkGeneratedMs: median(generated),
    checkInferredMs: median(inferred),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await runCodegenBench();
  const ms = (n: number) => `${Math.round(n)} ms`;
  console.log(`codegen, ${r.tasks} tasks (${r.generatedLines} generated lines)`);
  console.log(`  generate() in process          ${ms(r.generateMs)}`);
  console.log(`  taskwire codegen (CLI, cold)   ${ms(r.cliMs)}   target < 5000 ms: ${r.cliMs < 5000 ? 'ok' : 'MISSED'}`);
  console.log(`type-check of 200 calls (tsc, median of 3)`);
  console.log(`  generated client               ${ms(r.checkGeneratedMs)}`);
  console.log(`  inferred Client<typeof contract> ${ms(r.checkInferredMs)}`);
}
