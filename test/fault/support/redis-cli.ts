import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One command in RESP, the form `redis-cli --pipe` sends as it is. */
function resp(args: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Sends commands through the real `redis-cli` binary in `--pipe` mode (a generated RESP file on
 * its stdin), the way an operator or a foreign producer would push thousands of raw messages:
 * nothing of taskwire or ioredis touches them on the way. Resolves with redis-cli's own count.
 */
export async function redisCliPipe(port: number, commands: ReadonlyArray<ReadonlyArray<string | Buffer>>): Promise<{ replies: number; errors: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'taskwire-resp-'));
  const file = join(dir, 'commands.resp');
  writeFileSync(file, Buffer.concat(commands.map(resp)));
  const stdin = openSync(file, 'r');
  try {
    const cli = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: [stdin, 'pipe', 'pipe'] });
    let out = '';
    cli.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    cli.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      cli.once('error', reject);
      cli.once('exit', resolve);
    });
    const summary = /errors: (\d+), replies: (\d+)/.exec(out);
    if (code !== 0 || !summary) throw new Error(`redis-cli --pipe exited ${code}: ${out}`);
    return { errors: Number(summary[1]), replies: Number(summary[2]) };
  } finally {
    closeSync(stdin);
    rmSync(dir, { recursive: true, force: true });
  }
}
