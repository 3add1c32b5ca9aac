import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ERROR_CODES, TaskwireError } from '../errors.js';
import { ENVELOPE_PREFIX } from './protocol.js';

/**
 * Signed messages (docs/SECURITY.md, *Signing*): HMAC-SHA256 keys by id, and the one new
 * messages are signed with. Keys listed but not current are still accepted: rotation is adding a
 * key, making it current on every writer, then removing the old one.
 */
export interface SigningOptions {
  /** Key id (1-64 of A-Z a-z 0-9 _ -) → secret (at least 16 bytes; 32 random bytes recommended). */
  keys: Readonly<Record<string, string>>;
  /** The key new messages are signed with. */
  current: string;
  /**
   * For a rollout only: unsigned messages are still accepted (signed ones are still checked).
   * Turn on signing everywhere with this, then remove it. Default false.
   */
  acceptUnsigned?: boolean;
}

/** `,"sig":"<key id>.<43 base64url chars>"}` ends a signed envelope or reply. */
const SIG_FIELD = ',"sig":"';
const SIG_TAIL = /^,"sig":"([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{43})"\}$/;
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Signs and checks the exact text of call envelopes and replies. The signature is the last field,
 * over the text without it; a stored payload is bound by its SHA-256 in the envelope (`ih` for an
 * input, `oh` for an output), so the scripts that move envelopes never touch what is signed.
 * Replies are signed with their call id blanked: Redis copies a stored reply to the followers of
 * an idempotency key or a detached call under their own ids (deliver.lua).
 */
export class Signer {
  readonly #keys = new Map<string, Buffer>();
  readonly #current: string;

  constructor(options: SigningOptions, where: string) {
    const entries = Object.entries(options?.keys ?? {});
    if (entries.length === 0) throw invalid(where, 'signing.keys must name at least one key');
    for (const [id, secret] of entries) {
      if (!KEY_ID.test(id)) throw invalid(where, `signing key id ${JSON.stringify(id)} must be 1-64 of A-Z a-z 0-9 _ -`);
      if (typeof secret !== 'string' || Buffer.byteLength(secret) < 16) throw invalid(where, `signing key "${id}" must be a string of at least 16 bytes`);
      this.#keys.set(id, Buffer.from(secret, 'utf8'));
    }
    if (!this.#keys.has(options.current)) throw invalid(where, `signing.current ${JSON.stringify(options.current)} is not one of signing.keys`);
    this.#current = options.current;
  }

  /** A call envelope, signed; `storedInput`: the text of its input kept apart, bound by its hash. */
  signCall(raw: string, storedInput?: string): string {
    const bound = storedInput === undefined ? raw : `${raw.slice(0, -1)},"ih":"${digest(storedInput)}"}`;
    return this.#sign(bound, bound);
  }

  /** A reply, signed over its text with the call id blanked (copies keep their signature). */
  signReply(payload: string, storedOutput?: string): string {
    const bound = storedOutput === undefined ? payload : `${payload.slice(0, -1)},"oh":"${digest(storedOutput)}"}`;
    return this.#sign(bound, blankId(bound));
  }

  /**
   * A reply's text after `ENVELOPE_PREFIX + <call id>`, signed: a script puts it after any call's
   * id (protocol.ts UNRUN_REPLY_TAILS), and the signature holds, as the id is not signed.
   */
  signReplyTail(tail: string): string {
    return this.signReply(`${ENVELOPE_PREFIX}${tail}`).slice(ENVELOPE_PREFIX.length);
  }

  verifyCall(raw: string): Verdict {
    return this.#verify(raw, false);
  }

  verifyReply(payload: string): Verdict {
    return this.#verify(payload, true);
  }

  #sign(text: string, signed: string): string {
    return `${text.slice(0, -1)}${SIG_FIELD}${this.#current}.${this.#mac(this.#current, signed)}"}`;
  }

  #verify(text: string, reply: boolean): Verdict {
    const at = text.lastIndexOf(SIG_FIELD);
    if (at < 0) return { ok: false, reason: 'unsigned' };
    const tail = SIG_TAIL.exec(text.slice(at));
    if (!tail) return { ok: false, reason: 'malformed signature' };
    const [, id = '', mac = ''] = tail;
    if (!this.#keys.has(id)) return { ok: false, reason: `unknown signing key "${id}"` };
    const unsigned = `${text.slice(0, at)}}`;
    const want = Buffer.from(this.#mac(id, reply ? blankId(unsigned) : unsigned), 'utf8');
    const got = Buffer.from(mac, 'utf8');
    return got.length === want.length && timingSafeEqual(got, want) ? { ok: true } : { ok: false, reason: 'bad signature (tampered, or signed with another secret)' };
  }

  #mac(id: string, text: string): string {
    return createHmac('sha256', this.#keys.get(id) as Buffer)
      .update(text, 'utf8')
      .digest('base64url');
  }
}

/** The stored payload's hash an envelope names (`ih`, `oh`), to compare with the text read. */
export function digest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

/** The hash field `field` of a signed text (written right before its signature), or undefined. */
export function boundDigest(text: string, field: 'ih' | 'oh'): string | undefined {
  return new RegExp(`,"${field}":"([A-Za-z0-9_-]{43})","sig":"[^"]+"\\}$`).exec(text)?.[1];
}

function blankId(text: string): string {
  if (!text.startsWith(ENVELOPE_PREFIX)) return text;
  const end = text.indexOf('"', ENVELOPE_PREFIX.length);
  return end < 0 ? text : `${ENVELOPE_PREFIX}${text.slice(end)}`;
}

function invalid(where: string, message: string): TaskwireError<string, unknown> {
  return new TaskwireError(ERROR_CODES.VALIDATION, `${where}: ${message}`);
}
