import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { RouterShape } from '../contract/router.js';
import { CliError, usageError } from './cli-error.js';
import { exportOf, importModule } from './load-module.js';

/** A contract module's router export, or one line saying why it is not one. */
export async function loadRouter(file: string, cwd: string, exportName: string, shown = file): Promise<RouterShape> {
  const [{ isRouter }, { isTask }] = await Promise.all([import('../contract/router.js'), import('../contract/task.js')]);
  const mod = await importModule(file, cwd);
  const value = exportOf(mod, exportName, shown);
  const where = `${shown}#${exportName}`;
  if (isTask(value)) throw new CliError(`${where}: the export is a single task(), not a router()`);
  if (!isRouter(value)) throw new CliError(`${where}: the export is not a taskwire router() contract`);
  return value;
}

function git(args: readonly string[], cwd: string): { ok: boolean; out: Buffer; err: string } {
  const r = spawnSync('git', [...args], { cwd, maxBuffer: 512 * 1024 * 1024 });
  return { ok: r.status === 0, out: r.stdout ?? Buffer.alloc(0), err: (r.stderr ?? Buffer.alloc(0)).toString().trim() };
}

/** The nearest directory at or above `from` with a package.json, not above `root`. */
function packageRoot(from: string, root: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dir === root || dirname(dir) === dir) return root;
  }
}

/**
 * The older version of a contract: `against` names a file, or else a git ref at which the same
 * file is read. For a ref, the contract's package (its nearest package.json, so its own
 * relative imports come along) is extracted with `git archive` into a hidden directory inside
 * that package, so the old module resolves `zod` and `taskwire` from the same node_modules as
 * the new one; the directory is removed when `use` ends.
 */
export async function withAgainst<T>(file: string, against: string, cwd: string, use: (path: string, shown: string) => Promise<T>): Promise<T> {
  const asFile = resolve(cwd, against);
  if (existsSync(asFile) && statSync(asFile).isFile()) return use(against, against);
  const contract = resolve(cwd, file);
  if (!existsSync(contract)) throw new CliError(`${file}: file not found`);
  const real = realpathSync(contract);
  const top = git(['rev-parse', '--show-toplevel'], dirname(real));
  if (!top.ok) throw usageError(`--against ${against}: not a file, and ${file} is not in a git repository`);
  const root = realpathSync(top.out.toString().trim());
  if (!git(['rev-parse', '--verify', '--quiet', `${against}^{commit}`], root).ok) throw usageError(`--against ${against}: neither a file nor a git ref`);
  const pkg = packageRoot(dirname(real), root);
  const pkgRel = relative(root, pkg);
  const rel = relative(root, real);
  if (!git(['cat-file', '-e', `${against}:${rel}`], root).ok) throw new CliError(`${file}: did not exist at ${against}`);
  const archive = git(['archive', '--format=tar', against, '--', pkgRel === '' ? '.' : pkgRel], root);
  if (!archive.ok) throw new CliError(`git archive ${against} failed: ${archive.err}`);
  const tmp = mkdtempSync(join(pkg, '.taskwire-against-'));
  try {
    const untar = spawnSync('tar', ['-x', '-C', tmp], { input: archive.out });
    if (untar.status !== 0) throw new CliError(`could not unpack ${against}: ${(untar.stderr ?? Buffer.alloc(0)).toString().trim()}`);
    return await use(join(tmp, rel), `${against}:${rel}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
