import { connect, type Socket } from 'node:net';

export interface MonitoredCommand {
  /** `ip:port` of the connection that sent it, or `lua` for a command run by a script. */
  source: string;
  args: string[];
}

/**
 * Redis MONITOR over a plain socket: ioredis' monitor mode can fail with "Command queue state
 * error" when lines arrive fast. Keeps the commands that touch a key starting with `prefix`
 * (the Redis may be shared, see REDIS_URL).
 */
export async function monitorCommands(url: string, prefix: string): Promise<{ seen: MonitoredCommand[]; stop(): void }> {
  const u = new URL(url);
  const socket: Socket = connect(Number(u.port || 6379), u.hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const seen: MonitoredCommand[] = [];
  let buffered = '';
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
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
      // +1795549892.975445 [0 127.0.0.1:50004] "blmove" "key" ...
      const m = /^\+[\d.]+ \[\d+ ([^\]]+)\] (.*)$/.exec(line);
      if (!m) continue;
      const args = [...(m[2] ?? '').matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((a) => a[1] ?? '');
      if (args.some((a) => a.startsWith(`${prefix}:`))) seen.push({ source: m[1] ?? '', args });
    }
  });
  const auth = u.password ? `AUTH ${u.username ? `${decodeURIComponent(u.username)} ` : ''}${decodeURIComponent(u.password)}\r\n` : '';
  socket.write(`${auth}MONITOR\r\n`);
  await started;
  return { seen, stop: () => socket.destroy() };
}
