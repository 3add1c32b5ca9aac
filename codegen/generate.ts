import { dirname, relative, resolve, sep } from 'node:path';
import { readContractDocs } from './contract-docs.js';
import { openContractSource } from './contract-source.js';
import { buildModel } from './contract-model.js';
import { emitClient } from './emit-client.js';
import { loadContract } from './load-contract.js';
import { pascalCase } from './naming.js';
import { readBrands } from './read-brands.js';

export interface GenerateOptions {
  /** The contract module, relative to `cwd` or absolute. */
  readonly file: string;
  /** Where the client will be written; only used to print the header's relative source path. */
  readonly out: string;
  /** The router export. Default "contract". */
  readonly exportName?: string;
  readonly cwd?: string;
}

export interface GenerateResult {
  /** The complete module text. */
  readonly text: string;
  readonly taskCount: number;
}

function posix(path: string): string {
  return path.split(sep).join('/');
}

/** Loads the contract, walks it and prints the client module. Pure apart from reading files. */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const cwd = options.cwd ?? process.cwd();
  const exportName = options.exportName ?? 'contract';
  const file = resolve(cwd, options.file);
  const shown = posix(relative(cwd, file)) || options.file;
  const where = { file: shown, exportName };

  const clientName = `${pascalCase(exportName)}Client`;
  const loaded = await loadContract(file, exportName, shown);
  // A schema codegen cannot express fails here, before the source is parsed (most of a run's cost).
  buildModel(loaded, { where, docs: new Map(), brands: new Map(), clientName });
  const contractSource = openContractSource(file);
  const docs = readContractDocs(contractSource, exportName);
  const brands = readBrands(contractSource, exportName, loaded.tasks.map((t) => t.path));
  const model = buildModel(loaded, { where, docs, brands, clientName });

  let source = posix(relative(dirname(resolve(cwd, options.out)), file));
  if (!source.startsWith('.')) source = `./${source}`;
  return { text: emitClient(model, { source: `${source}#${exportName}`, clientName }), taskCount: model.tasks.length };
}
