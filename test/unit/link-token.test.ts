import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACTION_URL_TTL_MS, ENROLLMENT_URL_TTL_MS, checkLinkToken, hashToken, mintLinkToken, type LinkClaims,
} from '../../src/domain/link-token.ts';
import { Tokens } from '../../src/tokens.ts';

const KEY = new Tokens(Buffer.from('unit-test-link-key-0123456789abcdef'));
const OTHER_KEY = new Tokens(Buffer.from('another-link-key-0123456789abcdefgh'));
const NOW = Date.UTC(2026, 8, 1, 12, 0, 0);
const claims: LinkClaims = { organizationId: 'org_01AbCdEfGhIjKlMnOpQrStUv', expiresAt: NOW + ENROLLMENT_URL_TTL_MS };

const token = mintLinkToken(KEY, claims);
const raw = Buffer.from(token, 'base64url');
const mac = raw.subarray(-16);
const reason = (t: string, key = KEY, now = NOW) => {
  const check = checkLinkToken(key, t, now);
  return check.ok ? 'ok' : check.reason;
};
/** the token re-encoded, under its old MAC, after `edit` changes its payload ([claims, expiry]) */
const withPayload = (edit: (payload: [Record<string, unknown>, number]) => void) => {
  const payload = JSON.parse(raw.subarray(1, -16).toString('utf8'));
  edit(payload);
  return Buffer.concat([raw.subarray(0, 1), Buffer.from(JSON.stringify(payload)), mac]).toString('base64url');
};

describe('link tokens', () => {
  it('have the documented lifetimes', () => {
    assert.equal(ENROLLMENT_URL_TTL_MS, 15 * 60_000);
    assert.equal(ACTION_URL_TTL_MS, 60 * 60_000);
  });

  it('round-trip their claims', () => {
    assert.match(token, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(checkLinkToken(KEY, token, NOW), { ok: true, claims });
    assert.deepEqual(checkLinkToken(KEY, token, claims.expiresAt - 1), { ok: true, claims });
  });

  it('expire at and after expiresAt', () => {
    assert.equal(reason(token, KEY, claims.expiresAt), 'expired');
    assert.equal(reason(token, KEY, claims.expiresAt + 1), 'expired');
    assert.equal(reason(token, KEY, claims.expiresAt + ACTION_URL_TTL_MS), 'expired');
  });

  it('are forged when the MAC is changed', () => {
    const flipped = Buffer.from(raw);
    flipped[flipped.length - 1] ^= 1;
    assert.equal(reason(flipped.toString('base64url')), 'forged');
    assert.equal(reason(Buffer.concat([raw, mac]).toString('base64url')), 'forged');
  });

  it('are forged when the payload is altered', () => {
    assert.equal(reason(withPayload((p) => { p[1] = NOW + 365 * 86_400_000; })), 'forged'); // extended expiry
    assert.equal(reason(withPayload((p) => { p[0].o = 'org_01ZzZzZzZzZzZzZzZzZzZzZz'; })), 'forged'); // other organization
  });

  it("are forged under another key, both ways", () => {
    assert.equal(reason(token, OTHER_KEY), 'forged');
    assert.equal(reason(mintLinkToken(OTHER_KEY, claims)), 'forged');
  });

  it('are malformed when they are not token-shaped', () => {
    for (const garbage of ['', 'garbage', '.', `${token}.`, raw.subarray(0, 10).toString('base64url'), 'x'.repeat(5000)]) {
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
    assert.equal(hashToken(token), hashToken(raw.toString('base64url')));
  });

  it('is not the token and does not contain it', () => {
    const hash = hashToken(token);
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.notEqual(hash, token);
    assert.equal(hash.includes(token.slice(0, 16)), false);
  });

  it('differs between tokens', () => {
    assert.notEqual(hashToken(token), hashToken(mintLinkToken(KEY, claims)));
  });
});
