import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http.js';

/**
 * Who may do what. Reading is open to whoever reaches the handler (bind it to loopback or put it
 * behind your own auth); replay and purge need the action token in `Authorization: Bearer`, a
 * header no cross-site form or image can send, so no CSRF token is needed on top.
 */

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function checkAction(req: IncomingMessage, token: string | undefined): void {
  if (token === undefined) throw new HttpError(403, 'actions are disabled: the dashboard is read-only (start it with --allow-actions)');
  const header = req.headers.authorization ?? '';
  const given = /^Bearer (.+)$/.exec(header)?.[1];
  // Compare digests: equal lengths, and no timing hint about the token.
  if (given === undefined || !timingSafeEqual(digest(given), digest(token))) {
    throw new HttpError(401, 'this action needs the token the dashboard printed at start (Authorization: Bearer <token>)');
  }
}

/**
 * A page on a loopback address can be reached from any web site through DNS rebinding (a name
 * that first resolves to the site, then to 127.0.0.1); its Host header still names the site.
 * With `allowed` set, a request for any other host name is refused.
 */
export function checkHost(req: IncomingMessage, allowed: readonly string[] | undefined): void {
  if (!allowed) return;
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (!allowed.includes(host)) throw new HttpError(421, `host ${JSON.stringify(host)} is not one this dashboard answers for`);
}
