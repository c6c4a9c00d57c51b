import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed tokens, bound to a purpose: list cursors, hosted-page links, console sessions and sign-in forms, and
 * the CSRF tokens of page forms. Every process on a database derives the same keys from the server secret
 * it shares (settings.server_secret), so any of them opens what another sealed.
 *
 * A token is base64url (no padding, one spelling only) of
 *   version (1 byte) ‖ payload (JSON [claims, expiry ms or null]) ‖ MAC (16 bytes)
 * where MAC = HMAC-SHA256(key of the purpose, version ‖ purpose ‖ NUL ‖ payload), truncated to 128 bits. The
 * key is derived per purpose and the purpose is part of what is signed, so a token of one purpose never opens
 * as another. The MAC is compared in constant time and checked before the payload is parsed. A bound token
 * (`bind`) carries no payload: it proves knowledge of a value the checker holds (a CSRF token proves which
 * session or link its form was served for, without showing it).
 *
 * Version 1 is the only version. Tokens of the formats before it (cursors, links and session cookies signed
 * by separate code) no longer open: cursors are ephemeral, links live at most 60 minutes, and an operator
 * whose session cookie is refused signs in again (decisions §53).
 */

export type Purpose = 'list cursor' | 'hosted page link' | 'console session' | 'console sign-in' | 'page form';

const VERSION = 1;
const MAC_BYTES = 16;
/** longer tokens are refused before any work (the longest we make, a cursor with a long name, is far below) */
const MAX_TOKEN_LENGTH = 4096;

export type Opened<T = unknown> =
  | { ok: true; claims: T; expiresAt: number | null }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

export class Tokens {
  private readonly keys = new Map<Purpose, Buffer>();

  constructor(private readonly secret: Buffer) {}

  /** The key of one purpose, derived once from the server secret. */
  private key(purpose: Purpose): Buffer {
    let key = this.keys.get(purpose);
    if (key === undefined) {
      key = createHmac('sha256', this.secret).update(`uprof token key\0${purpose}`).digest();
      this.keys.set(purpose, key);
    }
    return key;
  }

  /**
   * The MAC of `signed` (version ‖ payload) for `purpose`: over version ‖ purpose ‖ NUL ‖ payload. A createHmac
   * per call: an HMAC hand-rolled from two one-shot hashes (pads made once) showed no gain beyond the noise in
   * the list benchmark, which signs a cursor per page (`BENCH_ENGINES=sqlite npm run bench`, twice each: list
   * 19–21 % of bare node:http hand-rolled, 21–22 % with createHmac).
   */
  private mac(purpose: Purpose, signed: Buffer): Buffer {
    return createHmac('sha256', this.key(purpose))
      .update(signed.subarray(0, 1)).update(purpose).update('\0').update(signed.subarray(1))
      .digest().subarray(0, MAC_BYTES);
  }

  /**
   * A token of `purpose` carrying `claims` (anything JSON can hold), valid until `expiresAt` (epoch ms) when
   * given. Claims are signed, not hidden: anyone holding the token can read them.
   */
  seal(purpose: Purpose, claims: unknown, expiresAt: number | null = null): string {
    const payload = Buffer.from(JSON.stringify([claims, expiresAt]));
    const head = Buffer.from([VERSION]);
    return Buffer.concat([head, payload, this.mac(purpose, Buffer.concat([head, payload]))]).toString('base64url');
  }

  /**
   * The claims of a token of `purpose`: refused as malformed (not a token of this format), forged (another
   * purpose, another secret, or altered) or, given `now`, expired. Without `now` the caller checks
   * `expiresAt` itself (a link, on the clock of the organization its claims name).
   */
  open(purpose: Purpose, token: string | undefined, now?: number): Opened {
    const raw = decode(token);
    if (raw === null || raw.length <= 1 + MAC_BYTES) return { ok: false, reason: 'malformed' };
    const signed = raw.subarray(0, raw.length - MAC_BYTES);
    if (!timingSafeEqual(raw.subarray(raw.length - MAC_BYTES), this.mac(purpose, signed))) return { ok: false, reason: 'forged' };
    let parsed: unknown;
    try {
      parsed = JSON.parse(signed.subarray(1).toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (!Array.isArray(parsed) || parsed.length !== 2 || (parsed[1] !== null && typeof parsed[1] !== 'number')) return { ok: false, reason: 'malformed' };
    const [claims, expiresAt] = parsed as [unknown, number | null];
    if (now !== undefined && expiresAt !== null && expiresAt <= now) return { ok: false, reason: 'expired' };
    return { ok: true, claims, expiresAt };
  }

  /** A token that proves `binding` for `purpose` (CSRF: the session or link a form was served for). */
  bind(purpose: Purpose, binding: string): string {
    const head = Buffer.from([VERSION]);
    return Buffer.concat([head, this.mac(purpose, Buffer.concat([head, Buffer.from(binding)]))]).toString('base64url');
  }

  /** Whether `presented` is the token `bind(purpose, binding)` makes (in constant time). */
  bound(purpose: Purpose, binding: string, presented: string | undefined): boolean {
    const raw = decode(presented);
    if (raw === null || raw.length !== 1 + MAC_BYTES) return false;
    return timingSafeEqual(raw, Buffer.from(this.bind(purpose, binding), 'base64url'));
  }
}

/** The bytes of a token, or null unless it is base64url in its one canonical spelling, of a known version. */
function decode(token: string | undefined): Buffer | null {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
  const raw = Buffer.from(token, 'base64url');
  if (raw.toString('base64url') !== token || raw[0] !== VERSION) return null;
  return raw;
}
