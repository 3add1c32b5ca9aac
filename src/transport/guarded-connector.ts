import { StandaloneConnector } from 'ioredis/built/connectors/index.js';
import type { ErrorEmitter } from 'ioredis/built/connectors/AbstractConnector.js';
import type { NetStream } from 'ioredis/built/types.js';
import type { StandaloneConnectionOptions } from 'ioredis';

const ignore = (): void => undefined;

/**
 * ioredis' connector, with sockets that cannot crash the process. ioredis listens for a socket's
 * errors with `once` (its connector, and Redis#connect), so a second error on one socket is an
 * uncaught exception: a TLS handshake refused for an untrusted certificate followed by the
 * server's alert did it to a test worker here (ioredis issues #961/#962). The first error still
 * reaches ioredis (logged, and a reconnect); later ones on the same dead socket are dropped.
 * Used for the connections taskwire opens from a URL, options or cluster nodes; an app's own
 * connection is duplicated by its own ioredis, whose connector this cannot replace.
 */
export class GuardedConnector extends StandaloneConnector {
  // ioredis constructs a connector from the connection's whole options (ConnectorConstructor).
  constructor(options: unknown) {
    super(options as StandaloneConnectionOptions);
  }

  override async connect(onError: ErrorEmitter): Promise<NetStream> {
    const stream = await super.connect(onError);
    stream.on('error', ignore);
    return stream;
  }
}
