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
import { it } from 'node:test';
import { encodeQuery, php, phpBetaHeader, type PhpCall } from '../support/php.ts';
import { describeEachEngine } from '../support/suite.ts';
import { assertApiError, assertOk, assertProfileShape, type Dialect, PROFILE_ID, TIMESTAMP_Z } from './profile-api.ts';

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
