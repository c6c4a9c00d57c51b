import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  newSession, newSignInNonce, openSession, openSignInNonce, readCookie, sealSession, sealSignInNonce, sessionCookie, setCookie, signInCookie,
  SESSION_TTL_MS,
} from '../../src/console/session.ts';
import { Tokens } from '../../src/tokens.ts';

/**
 * The console's session cookie, for what the end-to-end tests cannot reach: test servers listen on plain
 * http, so the https naming (`__Host-`, Secure, Path=/) is checked here.
 */
describe('console session cookies', () => {
  it('are Secure, host-only __Host- cookies on Path=/ when PUBLIC_URL is https', () => {
    const spec = sessionCookie('https://uprof.example.com');
    assert.deepEqual(spec, { name: '__Host-uprof_console', path: '/', secure: true });
    assert.equal(setCookie(spec, 'v', SESSION_TTL_MS), '__Host-uprof_console=v; Path=/; Max-Age=28800; HttpOnly; SameSite=Strict; Secure');
    assert.equal(signInCookie('https://uprof.example.com').name, '__Host-uprof_console_signin');
  });

  it('are plain cookies on Path=/console over http', () => {
    const spec = sessionCookie('http://127.0.0.1:8080');
    assert.deepEqual(spec, { name: 'uprof_console', path: '/console', secure: false });
    assert.equal(setCookie(spec, '', 0), 'uprof_console=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict');
  });

  it('open only while unexpired and only with the signing secret', () => {
    const key = new Tokens(randomBytes(32));
    const now = Date.now();
    const session = newSession('apikey_x', 'org_x', now);
    const sealed = sealSession(key, session);
    assert.deepEqual(openSession(key, sealed, now + SESSION_TTL_MS - 1), session);
    assert.equal(openSession(key, sealed, now + SESSION_TTL_MS), null, 'expired at 8 h');
    assert.equal(openSession(new Tokens(randomBytes(32)), sealed, now), null, 'another secret');
    assert.equal(openSession(key, `${sealed}x`, now), null);
    assert.equal(openSession(key, undefined, now), null);
  });

  it('a sign-in nonce is not a session, nor a session a sign-in nonce', () => {
    const key = new Tokens(randomBytes(32));
    const now = Date.now();
    const nonce = newSignInNonce(now);
    assert.deepEqual(openSignInNonce(key, sealSignInNonce(key, nonce), now), nonce);
    assert.equal(openSession(key, sealSignInNonce(key, nonce), now), null);
    assert.equal(openSignInNonce(key, sealSession(key, newSession('apikey_x', 'org_x', now)), now), null);
    assert.equal(openSignInNonce(key, sealSignInNonce(key, nonce), nonce.e), null, 'expired');
  });

  it('are read by exact name from the Cookie header', () => {
    const header = 'uprof_console_signin=a; uprof_console=b; x_uprof_console=c';
    assert.equal(readCookie(header, 'uprof_console'), 'b');
    assert.equal(readCookie(header, 'uprof_console_signin'), 'a');
    assert.equal(readCookie(header, 'console'), undefined);
    assert.equal(readCookie(undefined, 'uprof_console'), undefined);
  });
});
