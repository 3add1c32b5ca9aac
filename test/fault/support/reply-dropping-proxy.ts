import net from 'node:net';

/**
 * A TCP proxy in front of Redis that can lose one answer: once armed, the first client write
 * matching `match` is forwarded, Redis runs it, and the connection is cut before its answer
 * gets back, the way a crash or a network cut right after a write does. ioredis reconnects and
 * re-sends what it has not been answered.
 */
export class ReplyDroppingProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #match: RegExp | undefined;
  dropped = 0;

  private constructor(server: net.Server) {
    this.#server = server;
  }

  static async start(redisPort: number): Promise<ReplyDroppingProxy> {
    const server = net.createServer();
    const proxy = new ReplyDroppingProxy(server);
    server.on('connection', (client) => proxy.#pipe(client, redisPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${(this.#server.address() as net.AddressInfo).port}`;
  }

  /** Loses the answer to the next write whose text matches. */
  dropNextAnswerTo(match: RegExp): void {
    this.#match = match;
  }

  #pipe(client: net.Socket, redisPort: number): void {
    const upstream = net.connect(redisPort, '127.0.0.1');
    let cut = false;
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.#sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (data: Buffer) => {
      upstream.write(data);
      if (this.#match?.test(data.toString('latin1'))) {
        this.#match = undefined;
        this.dropped++;
        cut = true;
        // Long enough for Redis to run it; its answer is swallowed, then the line goes dead.
        setTimeout(() => upstream.destroy(), 100);
      }
    });
    upstream.on('data', (data: Buffer) => {
      if (!cut) client.write(data);
    });
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
