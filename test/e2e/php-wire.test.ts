/**
 * The PHP SDK's wire habits (anthropic-sdk-php 0.43: src/Client.php, src/Core/BaseClient.php, src/Core/Util.php,
 * src/Services/Beta/UserProfilesRawService.php), emulated exactly over raw HTTP since PHP does not run here:
 * `?beta=true` on every path; `X-Api-Key`; `anthropic-version: 2023-06-01`; `Content-Type: application/json`
 * on EVERY request (client default header: GET, DELETE and bodyless POST included, with no body and
 * `Content-Length: 0` on the bodyless POST/DELETE); `anthropic-beta` = the caller's betas, then the service's
 * `user-profiles-2026-08-18`, de-duplicated and joined with ", " (mergeBetaHeaders; a list header goes on the
 * wire as one line joined with ", "); query values rawurlencoded after `beta=true`; dates as RFC 3339 with a
 * `+00:00` offset. Every route, in every dialect (03-24 is reached as PHP callers do, by replacing the header
 * through extraHeaders; GA by removing it).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { it } from 'node:test';
import { describeEachEngine } from '../support/suite.ts';
import type { RawResponse, TestServer } from '../support/server.ts';
import { assertApiError, assertOk, assertProfileShape, type Dialect, PROFILE_ID, TIMESTAMP_Z } from './profile-api.ts';

const PHP_VERSION = '0.43.0';
const SERVICE_BETA = 'user-profiles-2026-08-18';

/** What the PHP client puts on every request before the service's and the caller's own headers (Client.php). */
function defaultHeaders(apiKey: string): Record<string, string> {
  return {
    'anthropic-version': '2023-06-01',
    'Content-Type': 'application/json',
    Accept: 'application/json',
    'User-Agent': `anthropic/PHP ${PHP_VERSION}`,
    'X-Stainless-Lang': 'php',
    'X-Stainless-Package-Version': PHP_VERSION,
    'X-Stainless-Arch': 'x64',
    'X-Stainless-OS': 'Linux',
    'X-Stainless-Runtime': 'cli',
    'X-Stainless-Runtime-Version': '8.3.12',
    'X-Api-Key': apiKey,
    'X-Stainless-Retry-Count': '0',
  };
}

/** mergeBetaHeaders: the caller's betas, then the service's default, each once, as one ", "-joined line. */
export function phpBetaHeader(betas: readonly string[]): string {
  return [...new Set([...betas, SERVICE_BETA])].join(', ');
}

/** encodeQuery: rawurlencode on keys and values, lists as `key[]=…` (writeQueryElement) */
function encodeQuery(query: [string, string | number | (string | number)[]][]): string {
  const pairs: [string, string][] = [];
  for (const [key, value] of query) {
    if (Array.isArray(value)) for (const item of value) pairs.push([`${key}[]`, String(item)]);
    else pairs.push([key, String(value)]);
  }
  const raw = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return pairs.map(([k, v]) => `${raw(k)}=${raw(v)}`).join('&');
}

interface PhpCall {
  /** the caller's `betas` request parameter */
  betas?: string[];
  /** RequestOptions extraHeaders: a value replaces the service's anthropic-beta, null removes it */
  betaOverride?: string | null;
  /** the query after `beta=true`, in the order the SDK merges it */
  query?: [string, string | number | (string | number)[]][];
  body?: unknown;
}

/** One request exactly as PHP 0.43 builds it; node:http, so that nothing adds or drops a header. */
function php(server: TestServer, apiKey: string, method: 'GET' | 'POST' | 'DELETE', path: string, call: PhpCall = {}): Promise<RawResponse> {
  const headers: Record<string, string> = defaultHeaders(apiKey);
  if (call.betaOverride === undefined) headers['anthropic-beta'] = phpBetaHeader(call.betas ?? []);
  else if (call.betaOverride !== null) headers['anthropic-beta'] = call.betaOverride;
  // Util::withSetBody: a JSON body only when there is one; Guzzle sends Content-Length: 0 for an empty POST/DELETE body
  const body = call.body === undefined ? '' : JSON.stringify(call.body);
  if (method !== 'GET') headers['Content-Length'] = String(Buffer.byteLength(body));
  const query = encodeQuery([['beta', 'true'], ...(call.query ?? [])]);
  const url = new URL(`${server.baseURL}/${path}?${query}`);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') responseHeaders.set(name, value);
        resolve({ status: res.statusCode!, headers: responseHeaders, text, json });
      });
    });
    req.on('error', reject);
    req.end(body === '' ? undefined : body);
  });
}

/** How a PHP caller reaches each dialect, and the create body PHP 0.43's params (or, under 09-04 and GA, a later release's) send. */
const DIALECTS: { dialect: Dialect; call: PhpCall; create: Record<string, unknown> }[] = [
  {
    dialect: '08-18', call: { betas: ['message-batches-2024-09-24'] },
    create: { access_type: 'passthrough', external_id: 'php-1', metadata: { plan: 'pro' }, name: 'PHP 08-18' },
  },
  {
    dialect: '09-04', call: { betas: ['user-profiles-2026-09-04'] },
    create: { access_type: 'application', external_user_details: { country: 'FR', onboarded_at: '2025-06-01T12:00:00+00:00' }, metadata: {}, name: 'PHP 09-04' },
  },
  {
    dialect: '03-24', call: { betaOverride: 'user-profiles-2026-03-24' },
    create: { external_id: 'php-3', metadata: { plan: 'pro' }, name: 'PHP 03-24', relationship: 'resold' },
  },
  {
    dialect: 'ga', call: { betaOverride: null },
    create: { access_type: 'passthrough', external_user_details: { reference_id: 'php-ga' }, name: 'PHP GA' },
  },
];

describeEachEngine('the PHP SDK wire habits', (server) => {
  it('sends what we emulate: the service default last, the caller first, joined with ", "', () => {
    assert.equal(phpBetaHeader([]), 'user-profiles-2026-08-18');
    assert.equal(phpBetaHeader(['user-profiles-2026-09-04']), 'user-profiles-2026-09-04, user-profiles-2026-08-18');
    assert.equal(phpBetaHeader(['user-profiles-2026-08-18']), 'user-profiles-2026-08-18');
    assert.equal(encodeQuery([['beta', 'true'], ['limit', 2], ['page', 'a+b/c=']]), 'beta=true&limit=2&page=a%2Bb%2Fc%3D');
    assert.equal(encodeQuery([['limit', [2, 2]]]), 'limit%5B%5D=2&limit%5B%5D=2');
  });

  for (const { dialect, call, create } of DIALECTS) {
    it(`create, retrieve, update under ${dialect}`, async () => {
      const { api_key: key } = await server().newKey();
      const created = assertOk(await php(server(), key, 'POST', 'v1/user_profiles', { ...call, body: create }));
      assertProfileShape(created, dialect);
      assert.equal(created.name, create.name);
      if (dialect === '09-04' || dialect === 'ga') {
        const onboarded = created.external_user_details.onboarded_at;
        if (dialect === '09-04') assert.equal(onboarded, '2025-06-01T12:00:00Z', 'a +00:00 offset, stored and returned in UTC with Z');
      }
      const retrieved = assertOk(await php(server(), key, 'GET', `v1/user_profiles/${created.id}`, call));
      assert.deepEqual(retrieved, created);
      const updated = assertOk(await php(server(), key, 'POST', `v1/user_profiles/${created.id}`, { ...call, body: { metadata: { region: 'eu' } } }));
      assert.deepEqual(updated.metadata, { ...created.metadata, region: 'eu' });
      // the SDK always sends an object, `{}` when no param is set
      assert.deepEqual(assertOk(await php(server(), key, 'POST', `v1/user_profiles/${created.id}`, { ...call, body: {} })), updated);
    });

    it(`list, page by page, under ${dialect}`, async () => {
      const { api_key: key } = await server().newKey();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(assertOk(await php(server(), key, 'POST', 'v1/user_profiles', { ...call, body: {} })).id);
      const first = assertOk(await php(server(), key, 'GET', 'v1/user_profiles', { ...call, query: [['limit', 2], ['order', 'asc']] }));
      assert.equal(first.data.length, 2);
      for (const profile of first.data) assertProfileShape(profile, dialect);
      assert.equal(typeof first.next_page, 'string');
      const second = assertOk(await php(server(), key, 'GET', 'v1/user_profiles', { ...call, query: [['limit', 2], ['order', 'asc'], ['page', first.next_page]] }));
      assert.equal(second.next_page, null);
      const listed = [...first.data, ...second.data];
      assert.deepEqual(listed.map((p: any) => p.id).sort(), [...ids].sort(), 'every profile once, over two pages');
      const keys = listed.map((p: any) => `${p.created_at} ${p.id}`);
      assert.deepEqual(keys, [...keys].sort(), 'oldest first (ties by id)');
    });

    it(`delete (a bodyless DELETE with content-type) under ${dialect}`, async () => {
      const { api_key: key } = await server().newKey();
      const { id } = assertOk(await php(server(), key, 'POST', 'v1/user_profiles', { ...call, body: {} }));
      assert.deepEqual(assertOk(await php(server(), key, 'DELETE', `v1/user_profiles/${id}`, call)), { id, type: 'user_profile_deleted' });
      assertApiError(await php(server(), key, 'GET', `v1/user_profiles/${id}`, call), 404, 'not_found_error');
    });

    it(`action URLs under ${dialect}`, async () => {
      const { api_key: key } = await server().newKey();
      const { id } = assertOk(await php(server(), key, 'POST', 'v1/user_profiles', { ...call, body: {} }));
      const link = assertOk(await php(server(), key, 'POST', `v1/user_profiles/${id}/action_urls`, { ...call, body: { action: { type: 'enroll_end_user' } } }));
      assert.equal(link.type, 'user_profile_action_url');
      assert.match(link.expires_at, TIMESTAMP_Z);
      assert.equal((await fetch(link.url)).status, 200);
    });

    it(`enrollment URL (a bodyless POST with content-type) under ${dialect}`, async () => {
      const { api_key: key } = await server().newKey();
      const { id } = assertOk(await php(server(), key, 'POST', 'v1/user_profiles', { ...call, body: {} }));
      const res = await php(server(), key, 'POST', `v1/user_profiles/${id}/enrollment_url`, call);
      if (dialect === 'ga') {
        assertApiError(res, 404, 'not_found_error', 'without a user-profiles beta value'); // decisions §3
        return;
      }
      const link = assertOk(res);
      assert.equal(link.type, 'enrollment_url');
      assert.equal((await fetch(link.url)).status, 200);
    });
  }

  it('answers errors in the envelope: an unknown profile, and relationship under the pinned 08-18 (decisions §36)', async () => {
    const { api_key: key } = await server().newKey();
    const missing = await php(server(), key, 'GET', `v1/user_profiles/uprof_01${'x'.repeat(22)}`);
    assertApiError(missing, 404, 'not_found_error');
    assert.match(missing.headers.get('request-id') ?? '', /^req_/);
    // PHP 0.43 offers `relationship` while it pins user-profiles-2026-08-18
    assertApiError(
      await php(server(), key, 'POST', 'v1/user_profiles', { body: { relationship: 'external' } }),
      400, 'invalid_request_error', 'relationship: not accepted under user-profiles-2026-08-18; it is accepted under user-profiles-2026-03-24',
    );
  });

  it("refuses page two as PHP 0.43 sends it (the first page's query again, merged into lists) instead of looping on page one (decisions §37)", async () => {
    const { api_key: key } = await server().newKey();
    for (let i = 0; i < 3; i++) assertOk(await php(server(), key, 'POST', 'v1/user_profiles', { body: {} }));
    const first = assertOk(await php(server(), key, 'GET', 'v1/user_profiles', { query: [['limit', 2]] }));
    assert.ok(first.next_page);
    // PageCursor::nextRequest + Util::joinUri: parse_str of the first URL's query, array_merge_recursive with [limit, page]
    const second = await php(server(), key, 'GET', 'v1/user_profiles', { query: [['limit', ['2', 2]], ['page', first.next_page]] });
    assertApiError(second, 400, 'invalid_request_error', 'limit');
    assert.ok(first.data.every((p: any) => PROFILE_ID.test(p.id)));
  });
});
