import { createRequire } from 'node:module';
import { ownPackage } from '../own-package.js';

/**
 * Optional peer dependencies: packages only some commands need (ts-morph, ~15 MB with the
 * compiler it bundles, for `taskwire codegen`), so that installing taskwire for a worker or a
 * client does not pull them. A command asks before importing the code that needs one, so a
 * missing peer is one line telling the user what to install, not an ERR_MODULE_NOT_FOUND stack.
 */

/** Whether `name` resolves from taskwire's own files, i.e. whether taskwire's modules can import it. */
export function peerInstalled(name: string): boolean {
  try {
    // require.resolve rather than import.meta.resolve: the latter is flagged before Node 20.6,
    // and the peers checked here (ts-morph) are CommonJS packages without an "exports" map.
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** The install instruction for a missing peer, with the range taskwire's package.json asks for. */
export function installHint(name: string): string {
  const range = ownPackage().peerDependencies[name];
  return `npm install -D ${name}${range === undefined ? '' : `@${range}`}`;
}
