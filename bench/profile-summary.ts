import { readFileSync } from 'node:fs';

/** Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and ranks where the time went. */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Hotspot {
  name: string;
  where: string;
  selfMs: number;
  selfShare: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Share of samples not idle: how busy the process was. */
  busyShare: number;
  functions: Hotspot[];
  /** Self time by owner: a taskwire file, a package, node internals, GC. */
  owners: Hotspot[];
}

/** `node_modules/ioredis/built/x.js` → ioredis; `dist/src/client/caller.js` → src/client/caller.js. */
function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg?.[1]) return pkg[1];
  const own = /\/dist\/((?:src|bench)\/.+)$/.exec(url);
  if (own?.[1]) return own[1];
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\//, '').replace(/^.*?node_modules\//, '').replace(/^.*?\/dist\//, '');
}

export function summariseProfile(path: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, Hotspot>();
  const owners = new Map<string, Hotspot>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === '(idle)') idleUs += us;
    const name = frame.functionName || '(anonymous)';
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const fk = `${name}@${where}`;
    const f = fns.get(fk) ?? { name, where, selfMs: 0, selfShare: 0 };
    f.selfMs += us / 1000;
    fns.set(fk, f);
    const owner = ownerOf(frame.url, frame.functionName);
    const o = owners.get(owner) ?? { name: owner, where: '', selfMs: 0, selfShare: 0 };
    o.selfMs += us / 1000;
    owners.set(owner, o);
  }
  const busyUs = totalUs - idleUs;
  const rank = (m: Map<string, Hotspot>) =>
    [...m.values()]
      .filter((h) => h.name !== '(idle)')
      .map((h) => ({ ...h, selfShare: busyUs > 0 ? (h.selfMs * 1000) / busyUs : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top);
  return { totalMs: totalUs / 1000, busyShare: totalUs > 0 ? busyUs / totalUs : 0, functions: rank(fns), owners: rank(owners) };
}

export function formatProfile(title: string, s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(6);
  return [
    `${title}: ${Math.round(s.totalMs)} ms sampled, busy ${pct(s.busyShare).trim()} (shares below are of busy time)`,
    '  by owner:',
    ...s.owners.map((o) => `  ${pct(o.selfShare)}  ${o.name}`),
    '  by function (self time):',
    ...s.functions.map((f) => `  ${pct(f.selfShare)}  ${f.name}  ${f.where}`),
  ].join('\n');
}
