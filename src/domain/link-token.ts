import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Lifetimes of hosted-page links (decisions §21). */
export const ENROLLMENT_URL_TTL_MS = 15 * 60_000;
export const ACTION_URL_TTL_MS = 60 * 60_000;

const MAC_BYTES = 16;

export interface LinkClaims {
  organizationId: string;
  expiresAt: number;
}

/**
 * Link tokens: base64url(JSON {o: organization, e: expiry, n: 128-bit nonce}) "." base64url(HMAC).
 * The nonce makes them unguessable; the MAC lets a forged or altered token be refused before any lookup;
 * the database keeps only `hashToken(token)`, so the stored form opens nothing.
 */
export function mintLinkToken(key: Buffer, claims: LinkClaims): string {
  const body = Buffer.from(
    JSON.stringify({ o: claims.organizationId, e: claims.expiresAt, n: randomBytes(16).toString('base64url') }),
  ).toString('base64url');
  return `${body}.${mac(key, body)}`;
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

/**
 * Checks a token's signature and shape and, given `now`, its expiry. Without `now` the caller checks
 * `claims.expiresAt` itself, on the clock of the organization the claims name.
 */
export function checkLinkToken(key: Buffer, token: string, now = -Infinity): LinkCheck {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.length > 512) return { ok: false, reason: 'malformed' };
  const body = token.slice(0, dot);
  const presented = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = Buffer.from(mac(key, body), 'base64url');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, reason: 'forged' };
  let claims: { o?: unknown; e?: unknown };
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof claims.o !== 'string' || typeof claims.e !== 'number') return { ok: false, reason: 'malformed' };
  if (claims.e <= now) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { organizationId: claims.o, expiresAt: claims.e } };
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update('link\0').update(body).digest().subarray(0, MAC_BYTES).toString('base64url');
}
