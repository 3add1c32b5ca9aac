import { randomBytes } from 'node:crypto';

/**
 * Ids of clients and calls. A client id is 16 characters of base64url (96 random bits); a call
 * id is its client's id followed by a per-client counter in base 36, so it is unique wherever
 * its client id is, and costs no randomness per call. Both are short on purpose: every call
 * carries its id and its client's id in the envelope, the reply, a reply key and the worker's
 * settle arguments (UUIDs made those ~40 bytes longer per call). Neither contains `"` or `\`
 * (envelope prefix match) nor anything outside the client-id alphabet `[A-Za-z0-9_-]`.
 */
export function newClientId(): string {
  return randomBytes(12).toString('base64url');
}

export function callIds(clientId: string): () => string {
  let n = 0;
  return () => `${clientId}.${(n++).toString(36)}`;
}
