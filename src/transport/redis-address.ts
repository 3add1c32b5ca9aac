/**
 * What a connection failure tells a person: where taskwire tried to go (host:port, the socket
 * path, the cluster's startup nodes or the Sentinel set; never a user name or password) and
 * why it failed (ECONNREFUSED, ENOTFOUND, NOAUTH, WRONGPASS, ...).
 */

function field(x: object, name: string): unknown {
  return Reflect.get(x, name);
}

/** `host:port` of one node as ioredis accepts it: an object, a port, "host:port" or a URL. */
function nodeAddress(node: unknown): string {
  if (typeof node === 'number') return `localhost:${node}`;
  if (typeof node === 'string') {
    if (!node.includes('://')) return node;
    try {
      // A URL may carry credentials: only its host and port are named.
      const url = new URL(node);
      return `${url.hostname}:${url.port || '6379'}`;
    } catch {
      return '(unparsable node URL)';
    }
  }
  if (typeof node === 'object' && node !== null) {
    const host = field(node, 'host');
    const port = field(node, 'port');
    return `${typeof host === 'string' ? host : 'localhost'}:${typeof port === 'number' || typeof port === 'string' ? port : 6379}`;
  }
  return String(node);
}

/**
 * Where a connection (ioredis 5 or 6, plain or Cluster) goes, read from the options ioredis
 * resolved (a URL is already split into host and port there).
 */
export function redisAddress(conn: object): string {
  const options = field(conn, 'options');
  const o = typeof options === 'object' && options !== null ? options : {};
  if (field(conn, 'isCluster') === true) {
    const nodes = field(conn, 'startupNodes');
    return `cluster ${Array.isArray(nodes) ? nodes.map(nodeAddress).join(',') : '(unknown nodes)'}`;
  }
  const tls = field(o, 'tls') ? ' (TLS)' : '';
  const sentinels = field(o, 'sentinels');
  if (Array.isArray(sentinels) && sentinels.length > 0) {
    const name = field(o, 'name');
    return `sentinels ${sentinels.map(nodeAddress).join(',')} (master "${typeof name === 'string' ? name : '?'}")${tls}`;
  }
  const path = field(o, 'path');
  if (typeof path === 'string' && path !== '') return `unix:${path}`;
  return `${nodeAddress({ host: field(o, 'host'), port: field(o, 'port') })}${tls}`;
}

/**
 * Why a connection failed, as ioredis reported it. A cluster that found no node says so and
 * keeps the node's own error aside (`lastNodeError`); Node's happy-eyeballs connect (a name with
 * both IPv4 and IPv6 addresses) fails with an AggregateError whose message is empty.
 */
export function failureCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let message = err.message;
  if (message === '' && err instanceof AggregateError) {
    message = err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ');
  }
  if (message === '') message = typeof field(err, 'code') === 'string' ? String(field(err, 'code')) : err.name;
  const last = field(err, 'lastNodeError');
  if (last instanceof Error && last.message !== '' && last.message !== message) return `${message} (${last.message})`;
  return message;
}

/** The short code of a failure: a socket error's (ECONNREFUSED) or the first word of Redis' answer (NOAUTH). */
export function failureCode(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = field(err, 'code');
  if (typeof code === 'string') return code;
  const last = field(err, 'lastNodeError');
  if (last instanceof Error && last !== err) return failureCode(last);
  return /^[A-Z][A-Z_]+(?=\s|$)/.exec(err.message)?.[0];
}
