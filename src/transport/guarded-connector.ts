import { SentinelConnector, StandaloneConnector } from 'ioredis/built/connectors/index.js';
import type { ErrorEmitter } from 'ioredis/built/connectors/AbstractConnector.js';
import type { NetStream } from 'ioredis/built/types.js';
import type { SentinelConnectionOptions, StandaloneConnectionOptions } from 'ioredis';

const ignore = (): void => undefined;

/** Errors after the first on a socket ioredis listens to with `once` are dropped, not thrown. */
function guardSocket(stream: NetStream): NetStream {
  stream.on('error', ignore);
  return stream;
}

/**
 * ioredis' connector, with sockets that cannot crash the process. ioredis listens for a socket's
 * errors with `once` (its connector, and Redis#connect), so a second error on one socket is an
 * uncaught exception: a TLS handshake refused for an untrusted certificate followed by the
 * server's alert did it to a test worker here (ioredis issues #961/#962). The first error still
 * reaches ioredis (logged, and a reconnect); later ones on the same dead socket are dropped.
 * Used for the connections taskwire opens from a URL, options or cluster nodes (Sentinel's twin
 * below); an app's own connection is duplicated by its own ioredis, whose connector this cannot
 * replace.
 */
export class GuardedConnector extends StandaloneConnector {
  // ioredis constructs a connector from the connection's whole options (ConnectorConstructor).
  constructor(options: unknown) {
    super(options as StandaloneConnectionOptions);
  }

  override async connect(onError: ErrorEmitter): Promise<NetStream> {
    return guardSocket(await super.connect(onError));
  }

  /**
   * ioredis arms a timer and a 'close' listener on the socket at every disconnect, also on a
   * socket that closed long ago, so a connection disconnected again and again after its socket
   * died collects them (likely what made Node print MaxListenersExceededWarning, 11 listeners on
   * one socket, in CI's Cluster failover test; not reproduced outside it). A socket already
   * destroyed needs neither.
   */
  override disconnect(): void {
    if (this.stream?.destroyed === true) {
      this.connecting = false;
      return;
    }
    super.disconnect();
  }
}

/**
 * The same guard for a connection found through Sentinel: the socket to the primary the sentinels
 * name. ioredis hands its own Sentinel connector the connection (`emitter`) only to announce its
 * failover detector's events, so this one is used only with `failoverDetector` off (connection.ts).
 */
export class GuardedSentinelConnector extends SentinelConnector {
  constructor(options: unknown) {
    super(options as SentinelConnectionOptions);
  }

  override async connect(onError: ErrorEmitter): Promise<NetStream> {
    return guardSocket(await super.connect(onError));
  }
}
