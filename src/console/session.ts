import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Review-console sessions, stateless: several server processes share nothing but the database and the
 * server secret, so a session is a signed cookie any of them can check. The cookie holds
 *   base64url(JSON {k: operator key id, o: organization id, s: random session id, e: expiry ms}) "." HMAC
 * and never the key itself. Every request re-checks the key by id, so revoking the key ends its sessions
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

function mac(key: Buffer, purpose: string, payload: string): string {
  return createHmac('sha256', key).update(purpose).update('\0').update(payload).digest('base64url');
}

function seal(key: Buffer, purpose: string, claims: object): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${mac(key, purpose, payload)}`;
}

/** The claims of a sealed value, or null when it is malformed or its signature does not match. */
function open(key: Buffer, purpose: string, value: string | undefined): Record<string, unknown> | null {
  if (!value) return null;
  const dot = value.indexOf('.');
  if (dot <= 0) return null;
  const payload = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(mac(key, purpose, payload));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? claims : null;
  } catch {
    return null;
  }
}

export function newSession(keyId: string, organizationId: string, now: number): Session {
  return { k: keyId, o: organizationId, s: randomBytes(18).toString('base64url'), e: now + SESSION_TTL_MS };
}

export const sealSession = (key: Buffer, session: Session) => seal(key, 'console session', session);

/** A session whose signature holds and which has not expired; null otherwise. */
export function openSession(key: Buffer, value: string | undefined, now: number): Session | null {
  const claims = open(key, 'console session', value);
  if (!claims) return null;
  const { k, o, s, e } = claims;
  if (typeof k !== 'string' || typeof o !== 'string' || typeof s !== 'string' || typeof e !== 'number') return null;
  return e > now ? { k, o, s, e } : null;
}

export function newSignInNonce(now: number): SignInNonce {
  return { n: randomBytes(18).toString('base64url'), e: now + SIGN_IN_TTL_MS };
}

export const sealSignInNonce = (key: Buffer, nonce: SignInNonce) => seal(key, 'console sign-in', nonce);

export function openSignInNonce(key: Buffer, value: string | undefined, now: number): SignInNonce | null {
  const claims = open(key, 'console sign-in', value);
  if (!claims || typeof claims.n !== 'string' || typeof claims.e !== 'number') return null;
  return claims.e > now ? { n: claims.n, e: claims.e } : null;
}

/** What CSRF tokens are bound to: a session's forms, or one sign-in form. */
export const sessionBinding = (session: Session) => `console session\0${session.s}`;
export const signInBinding = (nonce: SignInNonce) => `console sign-in\0${nonce.n}`;
