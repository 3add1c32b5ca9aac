import { connect, type Socket } from 'node:net';

export interface MonitoredCommand {
  /** `ip:port` of the connection that sent it, or `lua` for a command run by a script. */
  source: string;
  args: string[];
}

/**
 * Redis MONITOR over a plain socket: ioredis' monitor mode can fail with "Command queue state
 * error" when lines arrive fast. Hands every command line to `onLine` (as Redis writes it:
 * `+1795549892.975445 [0 127.0.0.1:50004] "blmove" "key" ...`); resolves once Redis said OK.
 */
export async function monitorLines(url: string, onLine: (line: string) => void): Promise<Socket> {
  const u = new URL(url);
  const socket: Socket = connect(Number(u.port || 6379), u.hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffered = '';
  let ready!: () => void;
  const started = new Promise<void>((resolve, reject) => {
    ready = resolve;
    socket.once('close', () => reject(new Error('MONITOR connection closed before it started')));
  });
  let oks = u.password ? 2 : 1;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf('\r\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      // AUTH answers +OK first, then MONITOR does.
      if (line === '+OK' && --oks === 0) ready();
      else onLine(line);
    }
  });
  const auth = u.password ? `AUTH ${u.username ? `${decodeURIComponent(u.username)} ` : ''}${decodeURIComponent(u.password)}\r\n` : '';
  socket.write(`${auth}MONITOR\r\n`);
  await started;
  return socket;
}

/** The quoted arguments of a MONITOR line from `from` on, still escaped as Redis wrote them. */
export function monitorArgs(line: string, from = 0): string[] {
  return [...line.slice(from).matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((a) => a[1] ?? '');
}

/** Keeps the commands that touch a key starting with `prefix` (the Redis may be shared, see REDIS_URL). */
export async function monitorCommands(url: string, prefix: string): Promise<{ seen: MonitoredCommand[]; stop(): void }> {
  const seen: MonitoredCommand[] = [];
  const socket = await monitorLines(url, (line) => {
    const m = /^\+[\d.]+ \[\d+ ([^\]]+)\] /.exec(line);
    if (!m) return;
    const args = monitorArgs(line, m[0].length);
    if (args.some((a) => a.startsWith(`${prefix}:`))) seen.push({ source: m[1] ?? '', args });
  });
  return { seen, stop: () => socket.destroy() };
}
