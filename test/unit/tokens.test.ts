import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Tokens, type Purpose } from '../../src/tokens.ts';

/** The one signed-token module: purpose-bound, versioned, expiring where asked, checked before parsed. */

const SECRET = Buffer.from('unit-test-server-secret-0123456789abcdef');
const tokens = new Tokens(SECRET);
const NOW = Date.UTC(2026, 8, 1, 12, 0, 0);
const PURPOSES: Purpose[] = ['list cursor', 'hosted page link', 'console session', 'console sign-in', 'page form'];

const bytes = (token: string) => Buffer.from(token, 'base64url');
const token = (raw: Buffer) => raw.toString('base64url');
const reason = (opened: ReturnType<Tokens['open']>) => (opened.ok ? 'ok' : opened.reason);

describe('Tokens.seal and open', () => {
  it('round-trip any JSON claims, with or without an expiry, in every purpose', () => {
    for (const purpose of PURPOSES) {
      for (const claims of [{ o: 'org_x', n: 'nonce' }, ['desc', 'name', '', ['zoë 🙂', 'uprof_x']], 'n', 0, null]) {
        assert.deepEqual(tokens.open(purpose, tokens.seal(purpose, claims)), { ok: true, claims, expiresAt: null });
        assert.deepEqual(tokens.open(purpose, tokens.seal(purpose, claims, NOW + 1), NOW), { ok: true, claims, expiresAt: NOW + 1 });
      }
    }
  });

  it('are base64url in one spelling, starting with the version byte, ending with a 16-byte MAC', () => {
    const sealed = tokens.seal('console session', { k: 'apikey_x' }, NOW);
    assert.match(sealed, /^[A-Za-z0-9_-]+$/);
    assert.equal(bytes(sealed)[0], 1);
    assert.equal(bytes(sealed).subarray(1, -16).toString(), JSON.stringify([{ k: 'apikey_x' }, NOW]));
  });

  it('a token of one purpose never opens as another', () => {
    for (const made of PURPOSES) {
      const sealed = tokens.seal(made, { same: 'claims' });
      for (const other of PURPOSES) assert.equal(reason(tokens.open(other, sealed)), other === made ? 'ok' : 'forged', `${made} → ${other}`);
    }
  });

  it('opens with another instance on the same secret (another process), never on another secret', () => {
    const sealed = tokens.seal('hosted page link', { o: 'org_x' }, NOW + 1);
    assert.equal(reason(new Tokens(Buffer.from(SECRET)).open('hosted page link', sealed, NOW)), 'ok');
    assert.equal(reason(new Tokens(randomBytes(32)).open('hosted page link', sealed, NOW)), 'forged');
  });

  it('expire at their expiry, not a millisecond before; without `now` the caller gets the expiry to check', () => {
    const sealed = tokens.seal('console sign-in', 'n', NOW);
    assert.equal(reason(tokens.open('console sign-in', sealed, NOW - 1)), 'ok');
    assert.equal(reason(tokens.open('console sign-in', sealed, NOW)), 'expired');
    assert.equal(reason(tokens.open('console sign-in', sealed, NOW + 1)), 'expired');
    assert.deepEqual(tokens.open('console sign-in', sealed), { ok: true, claims: 'n', expiresAt: NOW });
  });

  it('refuse every single changed byte, every truncation and an appended byte', () => {
    const raw = bytes(tokens.seal('list cursor', ['desc', 'created_at', '', [1, 'uprof_x']], NOW));
    for (let i = 0; i < raw.length; i++) {
      const changed = Buffer.from(raw);
      changed[i] ^= 0x01;
      assert.notEqual(reason(tokens.open('list cursor', token(changed))), 'ok', `byte ${i}`);
    }
    for (let length = 0; length < raw.length; length++) assert.notEqual(reason(tokens.open('list cursor', token(raw.subarray(0, length)))), 'ok');
    assert.notEqual(reason(tokens.open('list cursor', token(Buffer.concat([raw, Buffer.from([0])])))), 'ok');
  });

  it('refuse an edited payload under the old MAC (a longer expiry) as forged', () => {
    const raw = bytes(tokens.seal('console session', { k: 'a', o: 'org_x', s: 's' }, NOW));
    const payload = Buffer.from(JSON.stringify([{ k: 'a', o: 'org_x', s: 's' }, NOW + 365 * 86_400_000]));
    const edited = Buffer.concat([raw.subarray(0, 1), payload, raw.subarray(-16)]);
    assert.equal(reason(tokens.open('console session', token(edited), NOW - 1)), 'forged');
  });

  it('refuse another version, another spelling, and what is not a token', () => {
    const sealed = tokens.seal('hosted page link', { o: 'org_x' }, NOW);
    const raw = bytes(sealed);
    const v2 = Buffer.from(raw);
    v2[0] = 2;
    assert.equal(reason(tokens.open('hosted page link', token(v2))), 'malformed');
    // a token whose base64url holds '-' or '_' has a standard-base64 twin that decodes to the same bytes
    const spelled = Array.from({ length: 64 }, (_, i) => tokens.seal('hosted page link', { o: 'org_x', i }, NOW)).find((t) => /[-_]/.test(t))!;
    const standard = spelled.replace(/-/g, '+').replace(/_/g, '/');
    assert.deepEqual(Buffer.from(standard, 'base64'), bytes(spelled));
    assert.equal(reason(tokens.open('hosted page link', spelled)), 'ok');
    for (const garbage of [undefined, '', 'garbage', '.', `${sealed}=`, `${sealed}.`, ` ${sealed}`, 'x'.repeat(5000), standard]) {
      assert.notEqual(reason(tokens.open('hosted page link', garbage)), 'ok', String(garbage).slice(0, 40));
    }
  });
});

describe('Tokens.bind and bound (CSRF)', () => {
  it('a bound token proves its binding, in its purpose only, and shows nothing of it', () => {
    const csrf = tokens.bind('page form', 'console session\0session-id');
    assert.equal(tokens.bound('page form', 'console session\0session-id', csrf), true);
    assert.equal(tokens.bound('page form', 'console session\0other-id', csrf), false);
    assert.equal(tokens.bound('console session', 'console session\0session-id', csrf), false);
    assert.equal(new Tokens(randomBytes(32)).bound('page form', 'console session\0session-id', csrf), false);
    assert.equal(bytes(csrf).includes(Buffer.from('session-id')), false);
    assert.equal(bytes(csrf).length, 17);
  });

  it('refuses a missing, changed, truncated or extended token', () => {
    const csrf = tokens.bind('page form', 'b');
    const raw = bytes(csrf);
    for (const presented of [undefined, '', 'x', csrf.slice(0, -1), `${csrf}A`, token(Buffer.concat([raw, raw]))]) {
      assert.equal(tokens.bound('page form', 'b', presented), false, String(presented));
    }
    for (let i = 0; i < raw.length; i++) {
      const changed = Buffer.from(raw);
      changed[i] ^= 0x80;
      assert.equal(tokens.bound('page form', 'b', token(changed)), false, `byte ${i}`);
    }
  });
});
