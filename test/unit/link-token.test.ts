import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACTION_URL_TTL_MS, ENROLLMENT_URL_TTL_MS, checkLinkToken, hashToken, mintLinkToken, type LinkClaims,
} from '../../src/domain/link-token.ts';

const KEY = Buffer.from('unit-test-link-key-0123456789abcdef');
const OTHER_KEY = Buffer.from('another-link-key-0123456789abcdefgh');
const NOW = Date.UTC(2026, 8, 1, 12, 0, 0);
const claims: LinkClaims = { organizationId: 'org_01AbCdEfGhIjKlMnOpQrStUv', expiresAt: NOW + ENROLLMENT_URL_TTL_MS };

const token = mintLinkToken(KEY, claims);
const [body, mac] = token.split('.');
const reason = (t: string, key = KEY, now = NOW) => {
  const check = checkLinkToken(key, t, now);
  return check.ok ? 'ok' : check.reason;
};
/** the token body re-encoded after `edit` changes its claims */
const withBody = (edit: (claims: Record<string, unknown>) => void) => {
  const decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  edit(decoded);
  return `${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${mac}`;
};

describe('link tokens', () => {
  it('have the documented lifetimes', () => {
    assert.equal(ENROLLMENT_URL_TTL_MS, 15 * 60_000);
    assert.equal(ACTION_URL_TTL_MS, 60 * 60_000);
  });

  it('round-trip their claims', () => {
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.deepEqual(checkLinkToken(KEY, token, NOW), { ok: true, claims });
    assert.deepEqual(checkLinkToken(KEY, token, claims.expiresAt - 1), { ok: true, claims });
  });

  it('expire at and after expiresAt', () => {
    assert.equal(reason(token, KEY, claims.expiresAt), 'expired');
    assert.equal(reason(token, KEY, claims.expiresAt + 1), 'expired');
    assert.equal(reason(token, KEY, claims.expiresAt + ACTION_URL_TTL_MS), 'expired');
  });

  it('are forged when the MAC is changed', () => {
    const flipped = Buffer.from(mac, 'base64url');
    flipped[0] ^= 1;
    assert.equal(reason(`${body}.${flipped.toString('base64url')}`), 'forged');
    assert.equal(reason(`${body}.${mac.slice(0, -2)}`), 'forged'); // truncated MAC
    assert.equal(reason(`${body}.`), 'forged');
    assert.equal(reason(`${body}.${mac}${mac}`), 'forged');
  });

  it('are forged when the body is altered', () => {
    assert.equal(reason(withBody((c) => { c.e = NOW + 365 * 86_400_000; })), 'forged'); // extended expiry
    assert.equal(reason(withBody((c) => { c.o = 'org_01ZzZzZzZzZzZzZzZzZzZzZz'; })), 'forged'); // other organization
    assert.equal(reason(`${body.slice(0, -1)}${body.endsWith('A') ? 'B' : 'A'}.${mac}`), 'forged');
  });

  it("are forged under another key, both ways", () => {
    assert.equal(reason(token, OTHER_KEY), 'forged');
    assert.equal(reason(mintLinkToken(OTHER_KEY, claims)), 'forged');
  });

  it('are malformed when they are not token-shaped', () => {
    for (const garbage of ['', 'garbage', '.', `.${mac}`, body, 'x'.repeat(600), `${token}${'x'.repeat(512)}`]) {
      assert.equal(reason(garbage), 'malformed', JSON.stringify(garbage.slice(0, 40)));
    }
  });

  it('differ for the same claims (random nonce)', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => mintLinkToken(KEY, claims)));
    assert.equal(tokens.size, 50);
    for (const t of tokens) assert.deepEqual(checkLinkToken(KEY, t, NOW), { ok: true, claims });
  });
});

describe('hashToken', () => {
  it('is stable', () => {
    assert.equal(hashToken(token), hashToken(token));
    assert.equal(hashToken(token), hashToken(`${body}.${mac}`));
  });

  it('is not the token and does not contain it', () => {
    const hash = hashToken(token);
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.notEqual(hash, token);
    assert.equal(hash.includes(body), false);
    assert.equal(hash.includes(mac), false);
  });

  it('differs between tokens', () => {
    assert.notEqual(hashToken(token), hashToken(mintLinkToken(KEY, claims)));
  });
});
