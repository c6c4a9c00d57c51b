import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { mintLinkToken } from '../../src/domain/link-token.ts';
import { Tokens } from '../../src/tokens.ts';
import { newId } from '../../src/ids.ts';
import { describeEachEngine } from '../support/suite.ts';
import { call, currentSdk, type TestServer } from '../support/server.ts';
import { assertApiError } from './profile-api.ts';

/** Enrollment and action URLs and the page behind them: decisions §21, api-contract.md §11. */

const MINUTE = 60_000;
const BETAS = ['user-profiles-2026-03-24', 'user-profiles-2026-08-18', 'user-profiles-2026-09-04'];
const ENROLL = { action: { type: 'enroll_end_user' as const } };


/** The token inside a link (tests may look inside; clients are told not to). */
function tokenOf(url: string): string {
  const parsed = new URL(url);
  return parsed.searchParams.get('enrollment_token') ?? decodeURIComponent(parsed.pathname.split('/').at(-1)!);
}
const withToken = (url: string, token: string) => url.replace(tokenOf(url), token);
const changeOneChar = (text: string, at: number) => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);

interface Landing {
  status: number;
  text: string;
  headers: Headers;
}
async function open(url: string): Promise<Landing> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Every hosted page is HTML under a CSP that allows no script at all. */
function assertSafePage(page: Landing) {
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const csp = page.headers.get('content-security-policy');
  assert.ok(csp, 'the page sends a Content-Security-Policy header');
  assert.ok(/default-src 'none'/.test(csp) || /script-src 'none'/.test(csp), `CSP must forbid scripts: ${csp}`);
  assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
  assert.doesNotMatch(page.text, /<script/i);
}

function assertValid(page: Landing, profileId: string) {
  assert.equal(page.status, 200, page.text);
  assertSafePage(page);
  assert.ok(page.text.includes(profileId), 'the page names the profile');
}
function assertNotFoundPage(page: Landing, profileId?: string) {
  assert.equal(page.status, 404, page.text);
  assertSafePage(page);
  if (profileId) assert.ok(!page.text.includes(profileId), 'a refused link reveals nothing about the profile');
}
function assertExpiredPage(page: Landing, profileId: string) {
  assert.equal(page.status, 410, page.text);
  assertSafePage(page);
  assert.match(page.text, /expired/i);
  assert.ok(!page.text.includes(profileId));
}

/** The tokens this server signs links with: from its server secret, as the composition root makes them (src/server.ts). */
async function linkKeyOf(server: TestServer): Promise<Tokens> {
  return new Tokens(await server.store.serverSecret());
}

async function tokensOf(server: TestServer, profileId: string): Promise<number> {
  const rows = await server.store.sql.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM url_tokens WHERE profile_id = ?', [profileId]);
  return Number(rows[0].n);
}

function assertExpiresIn(expiresAt: string, from: number, ms: number) {
  assert.match(expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  const delta = Date.parse(expiresAt) - (from + ms);
  assert.ok(Math.abs(delta) <= 5000, `expires_at ${expiresAt} should be ${ms / MINUTE} min after ${new Date(from).toISOString()}`);
}

describeEachEngine('links', (server) => {
  async function profile(name?: string) {
    const key = await server().newKey();
    const client = currentSdk(server(), key.api_key);
    const created = await client.userProfiles.create(name === undefined ? {} : { name });
    return { key, client, id: created.id };
  }
  const raw = (key: string, id: string, what: 'action_urls' | 'enrollment_url', options: { beta?: string; body?: unknown; rawBody?: string } = {}) =>
    call(server(), 'POST', `/v1/user_profiles/${id}/${what}`, {
      key,
      body: options.body,
      rawBody: options.rawBody,
      headers: options.beta ? { 'anthropic-beta': options.beta } : {},
    });

  describe('creating links', () => {
    it('action URL on GA: {type, url, expires_at}, 60 minutes, on this server', async () => {
      const { key, client, id } = await profile('Ann');
      const now = server().clock.now();
      const link = await client.userProfiles.actionURLs.create(id, ENROLL);
      assert.deepEqual(Object.keys(link).sort(), ['expires_at', 'type', 'url']);
      assert.equal(link.type, 'user_profile_action_url');
      assert.ok(link.url.startsWith(`${server().baseURL}/`), link.url);
      assertExpiresIn(link.expires_at, now, 60 * MINUTE);
      const res = await raw(key.api_key, id, 'action_urls', { body: ENROLL });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json).sort(), ['expires_at', 'type', 'url']);
      assert.equal(res.json.type, 'user_profile_action_url');
    });

    it('action URL on every beta surface', async () => {
      const { key, client, id } = await profile();
      const now = server().clock.now();
      const viaSdk = await client.beta.userProfiles.actionURLs.create(id, ENROLL);
      assert.equal(viaSdk.type, 'user_profile_action_url');
      assert.ok(viaSdk.url.startsWith(`${server().baseURL}/`));
      assertExpiresIn(viaSdk.expires_at, now, 60 * MINUTE);
      for (const beta of BETAS) {
        const res = await raw(key.api_key, id, 'action_urls', { beta, body: ENROLL });
        assert.equal(res.status, 200, `${beta}: ${res.text}`);
        assert.equal(res.json.type, 'user_profile_action_url');
        assert.ok(res.json.url.startsWith(`${server().baseURL}/`));
        assertExpiresIn(res.json.expires_at, now, 60 * MINUTE);
      }
    });

    it('enrollment URL (beta only): type enrollment_url, 15 minutes; 404 on GA', async () => {
      const { key, client, id } = await profile();
      const now = server().clock.now();
      const link = await client.beta.userProfiles.createEnrollmentURL(id);
      assert.deepEqual(Object.keys(link).sort(), ['expires_at', 'type', 'url']);
      assert.equal(link.type, 'enrollment_url');
      assert.ok(link.url.startsWith(`${server().baseURL}/`), link.url);
      assertExpiresIn(link.expires_at, now, 15 * MINUTE);
      for (const beta of BETAS) {
        const res = await raw(key.api_key, id, 'enrollment_url', { beta });
        assert.equal(res.status, 200, `${beta}: ${res.text}`);
        assert.equal(res.json.type, 'enrollment_url');
        assertExpiresIn(res.json.expires_at, now, 15 * MINUTE);
      }
      const before = await tokensOf(server(), id);
      assertApiError(await raw(key.api_key, id, 'enrollment_url'), 404, 'not_found_error');
      assert.equal(await tokensOf(server(), id), before);
    });

    it('every call makes a new URL and earlier ones stay valid', async () => {
      const { client, id } = await profile('Bea');
      const urls: string[] = [];
      for (let i = 0; i < 3; i++) urls.push((await client.userProfiles.actionURLs.create(id, ENROLL)).url);
      for (let i = 0; i < 2; i++) urls.push((await client.beta.userProfiles.actionURLs.create(id, ENROLL)).url);
      for (let i = 0; i < 2; i++) urls.push((await client.beta.userProfiles.createEnrollmentURL(id)).url);
      assert.equal(new Set(urls).size, urls.length);
      assert.equal(new Set(urls.map(tokenOf)).size, urls.length);
      // each can be opened, and opened again
      for (const url of [...urls, ...urls]) assertValid(await open(url), id);
    });

    it('unknown, deleted and foreign profiles → 404, and nothing is stored', async () => {
      const { key, client, id } = await profile();
      const other = await profile();
      for (const target of [newId('uprof'), other.id, 'not-an-id']) {
        assertApiError(await raw(key.api_key, target, 'action_urls', { body: ENROLL }), 404, 'not_found_error');
        assertApiError(await raw(key.api_key, target, 'enrollment_url', { beta: BETAS[1] }), 404, 'not_found_error');
      }
      assert.equal(await tokensOf(server(), other.id), 0);
      await client.userProfiles.delete(id);
      assertApiError(await raw(key.api_key, id, 'action_urls', { body: ENROLL }), 404, 'not_found_error');
      assertApiError(await raw(key.api_key, id, 'enrollment_url', { beta: BETAS[1] }), 404, 'not_found_error');
      assert.equal(await tokensOf(server(), id), 0);
    });
  });

  describe('request bodies', () => {
    const BAD_ACTION_BODIES: [string, { body?: unknown; rawBody?: string }][] = [
      ['no body', {}],
      ['an empty JSON body', { rawBody: '' }],
      ['invalid JSON', { rawBody: '{"action":' }],
      ['{}', { body: {} }],
      ['an array', { body: [ENROLL] }],
      ['a string', { body: 'enroll_end_user' }],
      ['action: null', { body: { action: null } }],
      ['action as a string', { body: { action: 'enroll_end_user' } }],
      ['action without type', { body: { action: {} } }],
      ['another action type', { body: { action: { type: 'verify_identity' } } }],
      ['action type in capitals', { body: { action: { type: 'ENROLL_END_USER' } } }],
      ['an extra top-level field', { body: { ...ENROLL, expires_in: 60 } }],
      ['an extra action field', { body: { action: { type: 'enroll_end_user', redirect_url: 'https://x.example' } } }],
    ];

    it('action_urls accepts exactly {"action":{"type":"enroll_end_user"}}; anything else → 400 and stores nothing', async () => {
      const { key, id } = await profile();
      for (const beta of [undefined, BETAS[1]]) {
        for (const [label, options] of BAD_ACTION_BODIES) {
          const res = await raw(key.api_key, id, 'action_urls', { ...options, beta });
          assert.equal(res.status, 400, `${label} (${beta ?? 'GA'}): ${res.text}`);
          assertApiError(res, 400, 'invalid_request_error');
        }
      }
      assert.equal(await tokensOf(server(), id), 0);
      assert.equal((await raw(key.api_key, id, 'action_urls', { body: ENROLL })).status, 200);
      assert.equal(await tokensOf(server(), id), 1);
    });

    it('enrollment_url takes no body: any body field → 400 and stores nothing', async () => {
      const { key, id } = await profile();
      for (const body of [{ name: 'x' }, ENROLL, { expires_in: 60 }]) {
        assertApiError(await raw(key.api_key, id, 'enrollment_url', { beta: BETAS[1], body }), 400, 'invalid_request_error');
      }
      assert.equal(await tokensOf(server(), id), 0);
      assert.equal((await raw(key.api_key, id, 'enrollment_url', { beta: BETAS[1] })).status, 200);
      assert.equal(await tokensOf(server(), id), 1);
    });
  });

  describe('the page behind a link', () => {
    it('answers 200 until expiry and 410 after it (15 min enrollment, 60 min action)', async () => {
      const { client, id } = await profile('Cy');
      const action = (await client.userProfiles.actionURLs.create(id, ENROLL)).url;
      const enrollment = (await client.beta.userProfiles.createEnrollmentURL(id)).url;
      server().clock.advance(15 * MINUTE - 5000);
      assertValid(await open(enrollment), id);
      assertValid(await open(action), id);
      server().clock.advance(10_000);
      assertExpiredPage(await open(enrollment), id);
      assertValid(await open(action), id);
      // a fresh link still works after older ones expired
      assertValid(await open((await client.beta.userProfiles.createEnrollmentURL(id)).url), id);
      server().clock.advance(45 * MINUTE - 10_000);
      assertValid(await open(action), id);
      server().clock.advance(10_000);
      assertExpiredPage(await open(action), id);
      assertExpiredPage(await open(enrollment), id);
    });

    it('a tampered token → 404 page', async () => {
      const { client, id } = await profile();
      for (const url of [(await client.userProfiles.actionURLs.create(id, ENROLL)).url, (await client.beta.userProfiles.createEnrollmentURL(id)).url]) {
        assertValid(await open(url), id);
        const token = tokenOf(url);
        const dot = token.indexOf('.');
        // a character of the signed part, one of the signature, and the first and last
        for (const at of [0, Math.floor(dot / 2), dot + 3, token.length - 1]) {
          assertNotFoundPage(await open(withToken(url, changeOneChar(token, at))), id);
        }
        assertNotFoundPage(await open(withToken(url, token.slice(0, -1))), id);
        assertValid(await open(url), id);
      }
    });

    it('a random token, one signed by another server, or none at all → 404 page', async () => {
      const { client, id, key } = await profile();
      const url = (await client.userProfiles.actionURLs.create(id, ENROLL)).url;
      const enrollment = (await client.beta.userProfiles.createEnrollmentURL(id)).url;
      const random = Buffer.concat([Buffer.from([1]), randomBytes(56)]).toString('base64url');
      const foreign = mintLinkToken(new Tokens(randomBytes(32)), { organizationId: key.organization_id, expiresAt: server().clock.now() + MINUTE });
      for (const token of [random, foreign, 'x', '.', 'a'.repeat(300)]) {
        assertNotFoundPage(await open(withToken(url, token)), id);
        assertNotFoundPage(await open(withToken(enrollment, token)), id);
      }
      assertNotFoundPage(await open(`${server().baseURL}/portal/enroll`));
      assertNotFoundPage(await open(url.replace('enrollment_token=', 'token=')));
    });

    it('a well-signed token that was never issued → 404 page (and a well-signed expired one → 410)', async () => {
      const { key, id } = await profile();
      const linkKey = await linkKeyOf(server());
      const now = server().clock.now();
      const url = (await currentSdk(server(), key.api_key).userProfiles.actionURLs.create(id, ENROLL)).url;
      // proves the test signs like the server: the signature is accepted, only the expiry refuses it
      const expired = mintLinkToken(linkKey, { organizationId: key.organization_id, expiresAt: now - 1000 });
      assertExpiredPage(await open(withToken(url, expired)), id);
      const unknown = mintLinkToken(linkKey, { organizationId: key.organization_id, expiresAt: now + 30 * MINUTE });
      assertNotFoundPage(await open(withToken(url, unknown)), id);
      assertValid(await open(url), id);
    });

    it('the page of a deleted profile → 404', async () => {
      const { client, id } = await profile('Dee');
      const urls = [(await client.userProfiles.actionURLs.create(id, ENROLL)).url, (await client.beta.userProfiles.createEnrollmentURL(id)).url];
      for (const url of urls) assertValid(await open(url), id);
      await client.userProfiles.delete(id);
      for (const url of urls) assertNotFoundPage(await open(url), id);
    });

    it('sends a CSP and escapes the profile name', async () => {
      const name = `<script>alert(1)</script> & "quotes" 'too'`;
      const { client, id } = await profile(name);
      for (const url of [(await client.userProfiles.actionURLs.create(id, ENROLL)).url, (await client.beta.userProfiles.createEnrollmentURL(id)).url]) {
        const page = await open(url);
        assertValid(page, id);
        assert.ok(!page.text.includes('<script>alert(1)</script>'), 'raw HTML from the name reached the page');
        assert.ok(page.text.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; '), 'the name is shown, escaped');
        assert.ok(!page.text.includes(`"quotes"`));
      }
    });
  });

  describe('storage', () => {
    it('keeps only a hash of each token', async () => {
      const { client, id } = await profile();
      const urls = [
        (await client.userProfiles.actionURLs.create(id, ENROLL)).url,
        (await client.userProfiles.actionURLs.create(id, ENROLL)).url,
        (await client.beta.userProfiles.createEnrollmentURL(id)).url,
        (await client.beta.userProfiles.createEnrollmentURL(id)).url,
      ];
      const rows = await server().store.sql.all<Record<string, unknown>>('SELECT * FROM url_tokens');
      assert.equal(rows.filter((row) => row.profile_id === id).length, urls.length);
      const stored = rows.flatMap((row) => Object.values(row).map((v) => String(v)));
      for (const url of urls) {
        const token = tokenOf(url);
        const secrets = [token, ...token.split('.').filter((part) => part.length >= 16)];
        for (const secret of secrets) {
          assert.ok(!stored.some((value) => value.includes(secret)), `the database holds the token (or part of it) from ${url}`);
        }
        assertValid(await open(url), id);
      }
    });
  });
});
