import type { Connection } from './connection.js';

/** What Redis answers a SELECT of a database it does not have (7: out of range; older: invalid). */
const WRONG_DATABASE = /^ERR (DB index is out of range|invalid DB index)/;

/** True for Redis' refusal of a connection's `db` (the URL's `/99`, ioredis' `db` option). */
export function isWrongDatabase(err: unknown): boolean {
  return err instanceof Error && WRONG_DATABASE.test(err.message);
}

interface FatalErrorRecovery {
  // ioredis' own treatment of a refused AUTH (ioredis 4 to 6, Redis#recoverFromFatalError):
  // reject what waits with the error, say it, reconnect.
  recoverFromFatalError?(commandError: Error, err: Error): void;
}

/**
 * Treats a database the server does not have like a refused password. ioredis only reports a
 * failed SELECT on 'error' and then serves on database 0: a worker took database 0's calls and a
 * client's call to `/99` was answered from there, without an error to anyone. Now what waits on
 * the connection fails at once with Redis' answer (CONNECTION, its cause named), and the
 * connection keeps retrying as after any failure, so nothing runs on database 0 meanwhile: the
 * failed SELECT's reply comes before the ready check's, so this runs before ioredis sends
 * anything queued.
 */
export function refuseWrongDatabase<C extends Connection>(conn: C): C {
  const seen = new WeakSet<Error>();
  conn.on('error', (err: unknown) => {
    if (!isWrongDatabase(err) || seen.has(err as Error)) return;
    const e = err as Error;
    seen.add(e);
    const recovery = conn as unknown as FatalErrorRecovery;
    if (typeof recovery.recoverFromFatalError === 'function') recovery.recoverFromFatalError(e, e);
    else conn.disconnect(true);
  });
  return conn;
}
