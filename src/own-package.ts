import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The fields of taskwire's own package.json that the CLI and the workers' info records report. */
export interface OwnPackage {
  readonly version: string;
  readonly peerDependencies: Readonly<Record<string, string>>;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string');
}

let cached: OwnPackage | undefined;

/**
 * Reads taskwire's package.json at run time (once). Found through the package's self-reference
 * (`taskwire/package.json`, listed in "exports") rather than a fixed `../../package.json`,
 * so the same code finds it from dist/src, from src under tsx, and in an installed copy.
 */
export function ownPackage(): OwnPackage {
  cached ??= readOwnPackage();
  return cached;
}

function readOwnPackage(): OwnPackage {
  const path = createRequire(import.meta.url).resolve('taskwire/package.json');
  const json: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof json !== 'object' || json === null || !('version' in json) || typeof json.version !== 'string') {
    throw new Error(`${path}: no "version" field`);
  }
  const peers = 'peerDependencies' in json && isStringRecord(json.peerDependencies) ? json.peerDependencies : {};
  return { version: json.version, peerDependencies: peers };
}
