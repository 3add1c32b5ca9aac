import { readFileSync } from 'node:fs';
import type { Connection } from './connection.js';
import { retryRefusedUnrun } from './cluster-redirects.js';
import { SCRIPT_COMMAND_PREFIX } from './pipelining.js';

/**
 * The table of Lua scripts. Each `.lua` file in ./lua is named `<name>-<numberOfKeys>` and
 * opens with a KEYS/ARGV/returns header; fragments in ./lua/include are pasted in by
 * `-- @include <file>` (Redis has no module system for scripts), each once per script. They are
 * registered with ioredis' defineCommand, which sends EVALSHA and falls back to EVAL on NOSCRIPT
 * per connection (ioredis lib/Script.ts), so a Redis restart that flushes the script cache
 * needs nothing from us. Only the stores of this folder run them, each with typed arguments.
 */
export const SCRIPT_FILES = {
  enqueue: 'enqueue-7.lua',
  enqueueBatch: 'enqueue-batch-4.lua',
  enqueueRouted: 'enqueue-routed-7.lua',
  take: 'take-11.lua',
  complete: 'complete-4.lua',
  extend: 'extend-1.lua',
  maintain: 'maintain-11.lua',
  release: 'release-5.lua',
  withdraw: 'withdraw-7.lua',
  replay: 'replay-5.lua',
  follow: 'follow-2.lua',
  cancelRun: 'cancel-run-2.lua',
  claim: 'claim-n.lua',
  scheduleUpsert: 'schedule-upsert-2.lua',
  scheduleRemove: 'schedule-remove-2.lua',
  scheduleDue: 'schedule-due-2.lua',
  scheduleFire: 'schedule-fire-6.lua',
} as const;

export type ScriptName = keyof typeof SCRIPT_FILES;
export type ScriptArg = string | number;

/** A script's text with its includes pasted in, each fragment once (the first place it is named). */
export function scriptSource(file: string): string {
  return withIncludes(readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8'));
}

/** Lua text with its `-- @include` lines replaced by the fragments (tests run fragments alone this way). */
export function withIncludes(text: string, included = new Set<string>()): string {
  return text.replace(/^-- @include (\S+)$/gm, (_, name: string) => {
    if (included.has(name)) return `-- (${name} included above)`;
    included.add(name);
    return withIncludes(readFileSync(new URL(`./lua/include/${name}`, import.meta.url), 'utf8'), included);
  });
}

const sources = new Map<ScriptName, { lua: string; numberOfKeys?: number }>();

/** `-<n>.lua`: n keys; `-n.lua`: as many as each call passes (ioredis then takes the count first). */
function source(name: ScriptName): { lua: string; numberOfKeys?: number } {
  let s = sources.get(name);
  if (!s) {
    const file = SCRIPT_FILES[name];
    const keys = /-(\d+|n)\.lua$/.exec(file);
    if (!keys?.[1]) throw new Error(`script file ${file} does not end in -<numberOfKeys>.lua or -n.lua`);
    s = keys[1] === 'n' ? { lua: scriptSource(file) } : { lua: scriptSource(file), numberOfKeys: Number(keys[1]) };
    sources.set(name, s);
  }
  return s;
}

const DEFINED = Symbol('taskwire.scripts');
type Raw = (...args: ScriptArg[]) => Promise<unknown>;

/**
 * Runs one script on a connection: its keys (exactly numberOfKeys of them), then its arguments.
 * Every script is defined on a connection the first time any is run there.
 */
export function runScript(redis: Connection, name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
  const holder = redis as unknown as Record<PropertyKey, unknown>;
  if (holder[DEFINED] !== true) {
    for (const n of Object.keys(SCRIPT_FILES) as ScriptName[]) redis.defineCommand(`${SCRIPT_COMMAND_PREFIX}${n}`, source(n));
    holder[DEFINED] = true;
  }
  const run = holder[`${SCRIPT_COMMAND_PREFIX}${name}`] as Raw;
  const send = () => (source(name).numberOfKeys === undefined ? run.call(redis, keys.length, ...keys, ...args) : run.call(redis, ...keys, ...args));
  // On a Cluster, a script refused unrun while its slot moves is sent again (cluster-redirects.ts).
  return redis.isCluster ? retryRefusedUnrun(send) : send();
}
