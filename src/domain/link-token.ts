import { createHash, randomBytes } from 'node:crypto';
import type { Tokens } from '../tokens.js';

/** Lifetimes of hosted-page links (decisions §21). */
export const ENROLLMENT_URL_TTL_MS = 15 * 60_000;
export const ACTION_URL_TTL_MS = 60 * 60_000;

export interface LinkClaims {
  organizationId: string;
  expiresAt: number;
}

/**
 * Link tokens: tokens of the purpose 'hosted page link' (src/tokens.ts) carrying the organization and a
 * 128-bit nonce, until their expiry. The nonce makes them unguessable; the MAC lets a forged or altered
 * token be refused before any lookup; the database keeps only `hashToken(token)`, so the stored form opens
 * nothing.
 */
export function mintLinkToken(tokens: Tokens, claims: LinkClaims): string {
  return tokens.seal('hosted page link', { o: claims.organizationId, n: randomBytes(16).toString('base64url') }, claims.expiresAt);
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

/**
 * Checks a token's signature and shape and, given `now`, its expiry. Without `now` the caller checks
 * `claims.expiresAt` itself, on the clock of the organization the claims name.
 */
export function checkLinkToken(tokens: Tokens, token: string, now?: number): LinkCheck {
  const opened = tokens.open('hosted page link', token, now);
  if (!opened.ok) return opened;
  const claims = opened.claims as { o?: unknown } | null;
  if (typeof claims !== 'object' || claims === null || typeof claims.o !== 'string' || opened.expiresAt === null) {
    return { ok: false, reason: 'malformed' };
  }
  return { ok: true, claims: { organizationId: claims.o, expiresAt: opened.expiresAt } };
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
