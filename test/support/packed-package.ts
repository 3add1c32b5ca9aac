import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The one helper for tests about what `npm pack` ships and how the shipped package behaves once
 * installed. Every npm and tar call here is bounded in time; temp dirs are the caller's to remove.
 */

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The fields of package.json the packaging tests read. */
export interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly license?: string;
  readonly exports?: Readonly<Record<string, string | Readonly<Record<string, string>>>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
}

export function readPackageJson(dir = REPO_ROOT): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

const COMMAND_TIMEOUT_MS = 60_000;

function run(command: string, args: readonly string[], cwd: string): string {
  const result = spawnSync(command, [...args], { cwd, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
  return result.stdout;
}

/** `npm pack` without its lifecycle scripts: `prepare` would rebuild dist/ while other test files read it. */
function npmPack(args: readonly string[]): string {
  if (!existsSync(join(REPO_ROOT, 'dist/src/index.js'))) {
    throw new Error('dist/ is missing: the packaging tests inspect the build; run `npm run build` first');
  }
  return run('npm', ['pack', '--ignore-scripts', '--json', ...args], REPO_ROOT);
}

/** The paths (relative to the package root) that `npm pack` puts in the tarball for the current build. */
export function packedFiles(): string[] {
  const [report] = JSON.parse(npmPack(['--dry-run'])) as Array<{ files: Array<{ path: string }> }>;
  if (report === undefined) throw new Error('npm pack --dry-run --json reported no package');
  return report.files.map((file) => file.path);
}

export interface InstalledPackage {
  /** The user's project directory: the one holding node_modules/. */
  readonly project: string;
  /** node_modules/taskwire, unpacked from the tarball. */
  readonly root: string;
  /** Adds `name` to the project's node_modules, linked from the repo's (as if the user installed it). */
  link(name: string): void;
  /** Removes the whole project. */
  remove(): void;
}

/**
 * The tarball laid out the way a production install leaves it, without a registry: packed,
 * unpacked to <project>/node_modules/taskwire, and each of its `dependencies` linked from the
 * repo's node_modules (the versions the lockfile pins). Nothing else is added, so an optional peer
 * is missing exactly as after `npm install taskwire`. The project sits in the OS temp dir, outside
 * the repo, so Node's walk up the directory tree never reaches the repo's own node_modules.
 */
export function installPacked(): InstalledPackage {
  const project = mkdtempSync(join(tmpdir(), 'taskwire-packed-'));
  try {
    const [report] = JSON.parse(npmPack(['--pack-destination', project])) as Array<{ filename: string }>;
    if (report === undefined) throw new Error('npm pack --json reported no tarball');
    run('tar', ['-xzf', report.filename], project);
    const modules = join(project, 'node_modules');
    mkdirSync(modules);
    const root = join(modules, 'taskwire');
    renameSync(join(project, 'package'), root);
    const link = (name: string): void => {
      const target = join(modules, name);
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(join(REPO_ROOT, 'node_modules', name), target, 'dir');
    };
    for (const name of Object.keys(readPackageJson(root).dependencies ?? {})) link(name);
    return { project, root, link, remove: () => rmSync(project, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(project, { recursive: true, force: true });
    throw err;
  }
}
