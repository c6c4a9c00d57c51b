import { randomBytes } from 'node:crypto';
import type { Tokens } from '../tokens.js';

/**
 * Review-console sessions, stateless: several server processes share nothing but the database and the
 * server secret, so a session is a signed cookie any of them can check. The cookie is a token of the purpose
 * 'console session' (src/tokens.ts) holding {k: operator key id, o: organization id, s: random session id}
 * until its expiry, and never the key itself. Every request re-checks the key by id, so revoking the key ends its sessions
 * (within one request). Signing out clears the cookie in the browser and records the session id in the
 * database (store/console-sessions.ts), which every request checks too: a copied cookie stops working on
 * every process as soon as the sign-out has been answered. The session id `s` is what CSRF tokens of the
 * session's forms are bound to.
 *
 * Cookie names and flags: always HttpOnly and SameSite=Strict. Over plain http (development, tests) the
 * session cookie is `uprof_console` with Path=/console. When PUBLIC_URL is https it is Secure and named
 * `__Host-uprof_console`, which obliges browsers to refuse it unless it is Secure, host-only (no Domain)
 * and Path=/ — so a sibling subdomain cannot plant or shadow it. That prefix forces Path=/, which only
 * means the API routes receive a cookie they ignore.
 */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
/** How long a sign-in form stays usable. */
export const SIGN_IN_TTL_MS = 30 * 60 * 1000;

export interface Session {
  /** operator key id */
  k: string;
  /** organization id */
  o: string;
  /** random session id: CSRF tokens are bound to it */
  s: string;
  /** expiry, epoch ms */
  e: number;
}

export interface SignInNonce {
  n: string;
  e: number;
}

export interface CookieSpec {
  name: string;
  path: string;
  secure: boolean;
}

const secureOrigin = (publicUrl: string) => new URL(publicUrl).protocol === 'https:';

export function sessionCookie(publicUrl: string): CookieSpec {
  return secureOrigin(publicUrl)
    ? { name: '__Host-uprof_console', path: '/', secure: true }
    : { name: 'uprof_console', path: '/console', secure: false };
}

/** The sign-in form's nonce cookie (its CSRF binding before there is a session). */
export function signInCookie(publicUrl: string): CookieSpec {
  return secureOrigin(publicUrl)
    ? { name: '__Host-uprof_console_signin', path: '/', secure: true }
    : { name: 'uprof_console_signin', path: '/console/sign-in', secure: false };
}

/** A Set-Cookie value; `maxAgeMs` 0 clears the cookie. */
export function setCookie(spec: CookieSpec, value: string, maxAgeMs: number): string {
  const parts = [`${spec.name}=${value}`, `Path=${spec.path}`, `Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`, 'HttpOnly', 'SameSite=Strict'];
  if (spec.secure) parts.push('Secure');
  return parts.join('; ');
}

/** One cookie's value from a Cookie header (the first one of that name), or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function newSession(keyId: string, organizationId: string, now: number): Session {
  return { k: keyId, o: organizationId, s: randomBytes(18).toString('base64url'), e: now + SESSION_TTL_MS };
}

export const sealSession = (tokens: Tokens, { k, o, s, e }: Session) => tokens.seal('console session', { k, o, s }, e);

/** A session whose signature holds and which has not expired; null otherwise. */
export function openSession(tokens: Tokens, value: string | undefined, now: number): Session | null {
  const opened = tokens.open('console session', value, now);
  if (!opened.ok || opened.expiresAt === null) return null;
  const { k, o, s } = (opened.claims ?? {}) as Record<string, unknown>;
  if (typeof k !== 'string' || typeof o !== 'string' || typeof s !== 'string') return null;
  return { k, o, s, e: opened.expiresAt };
}

export function newSignInNonce(now: number): SignInNonce {
  return { n: randomBytes(18).toString('base64url'), e: now + SIGN_IN_TTL_MS };
}

export const sealSignInNonce = (tokens: Tokens, nonce: SignInNonce) => tokens.seal('console sign-in', nonce.n, nonce.e);

export function openSignInNonce(tokens: Tokens, value: string | undefined, now: number): SignInNonce | null {
  const opened = tokens.open('console sign-in', value, now);
  if (!opened.ok || typeof opened.claims !== 'string' || opened.expiresAt === null) return null;
  return { n: opened.claims, e: opened.expiresAt };
}

/** What CSRF tokens are bound to: a session's forms, or one sign-in form. */
export const sessionBinding = (session: Session) => `console session\0${session.s}`;
export const signInBinding = (nonce: SignInNonce) => `console sign-in\0${nonce.n}`;
