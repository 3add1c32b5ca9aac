import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { monitorArgs, monitorLines } from '../../support/monitor.js';

/**
 * Counts the replies written for each call id, independently of the client: a second reply to
 * one call (a fencing failure) shows up here even though the caller's promise can settle only
 * once. Key mode is seen through MONITOR: the `HSET`s of replies hashes (and `SET`s of reply
 * keys, wire mode `key`) that scripts run, one field per reply; pub/sub mode by listening on the
 * reply channels. MONITOR names the database: the fault tests' Redis uses database 0. Both
 * reconnect after a Redis restart, but what was written while they were
 * cut off is missed: a tap can hide a duplicate, never invent one.
 */
export class ReplyTap {
  readonly #sub: Redis;
  readonly #counts = new Map<string, number>();
  #monitor: Socket | undefined;
  #closed = false;

  private constructor(sub: Redis) {
    this.#sub = sub;
  }

  static async start(url: string, prefix: string): Promise<ReplyTap> {
    const sub = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
    sub.on('error', () => undefined);
    const tap = new ReplyTap(sub);
    sub.on('pmessage', (_pattern: string, _channel: string, message: string) => {
      const id = /^\{"v":1,"id":"([^"]+)"/.exec(message)?.[1];
      if (id) tap.#count(id);
    });
    await sub.psubscribe(`${prefix}:reply:*`);
    await tap.#watch(url, prefix);
    return tap;
  }

  /** MONITOR (test/support/monitor.ts), reopened after a Redis restart until close(). */
  async #watch(url: string, prefix: string): Promise<void> {
    const socket = await monitorLines(url, (line) => {
      if (line.includes(' [0 lua] ')) this.#scripted(line, prefix);
    });
    // Closed while MONITOR was starting: this socket is the tap's no longer.
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#monitor = socket;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (!this.#closed) this.#rewatch(url, prefix);
    });
  }

  #rewatch(url: string, prefix: string): void {
    setTimeout(() => {
      if (!this.#closed) this.#watch(url, prefix).catch(() => this.#rewatch(url, prefix));
    }, 100).unref();
  }

  /** `+1795549892.975445 [0 lua] "HSET" "<p>:{q}:replies:<client>" "<id>" "<reply>" ...` */
  #scripted(line: string, prefix: string): void {
    const cmd = /\] "(HSET|SET)" "([^"]*)"/.exec(line);
    if (!cmd?.[2]?.startsWith(`${prefix}:`)) return;
    if (cmd[1] === 'SET') {
      const id = /:reply:([^:]+)$/.exec(cmd[2])?.[1];
      if (id) this.#count(id);
      return;
    }
    if (!cmd[2].includes(':replies:')) return;
    const args = monitorArgs(line, cmd.index + cmd[0].length);
    for (let i = 0; i < args.length; i += 2) this.#count(args[i] ?? '');
  }

  #count(id: string): void {
    this.#counts.set(id, (this.#counts.get(id) ?? 0) + 1);
  }

  /** The call ids replies were written for (whether or not a caller read them). */
  callIds(): ReadonlySet<string> {
    return new Set(this.#counts.keys());
  }

  /** Replies seen, and how many of them were second (or later) replies to the same call. */
  summary(): { replies: number; calls: number; duplicates: number } {
    let replies = 0;
    let duplicates = 0;
    for (const n of this.#counts.values()) {
      replies += n;
      duplicates += n - 1;
    }
    return { replies, calls: this.#counts.size, duplicates };
  }

  close(): void {
    this.#closed = true;
    this.#monitor?.destroy();
    this.#sub.disconnect();
  }
}
