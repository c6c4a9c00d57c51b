import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { MintedKey } from '../../src/keys.ts';
import { call, type RawResponse, type TestServer } from '../support/server.ts';
import { describeEachEngine } from '../support/suite.ts';

/**
 * One security suite, run for every platform route on every engine: authentication, anthropic-version,
 * workspaces (decisions §6), tenant isolation, malformed ids (decisions §22) and key roles (decisions §32).
 * Every refused request is shown to change nothing.
 */

/** One organization with a profile in it; `name` lets a test mint more keys for the same organization. */
interface Fixture {
  name: string;
  owner: MintedKey;
  profileId: string;
}

interface Route {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** the path, given the profile id for routes that take one */
  path(id: string): string;
  takesId: boolean;
  mutates: boolean;
  body?: unknown;
  headers?: Record<string, string>;
  /** what a 200 from this route must look like (and, for mutating routes, that it took effect) */
  succeeded(server: TestServer, fixture: Fixture, response: RawResponse): Promise<void>;
}

const UPDATED_NAME = 'Renamed by this request';

const routes: Route[] = [
  {
    name: 'create POST /v1/user_profiles',
    method: 'POST',
    path: () => '/v1/user_profiles',
    takesId: false,
    mutates: true,
    body: { name: 'Created by this request', metadata: { source: 'security-test' } },
    async succeeded(server, fixture, response) {
      assert.equal(response.json.type, 'user_profile');
      assert.match(response.json.id, /^uprof_01[0-9A-Za-z]{22}$/);
      const fetched = await call(server, 'GET', `/v1/user_profiles/${response.json.id}`, { key: fixture.owner.api_key });
      assert.equal(fetched.status, 200);
      assert.equal(fetched.json.name, 'Created by this request');
    },
  },
  {
    name: 'retrieve GET /v1/user_profiles/{id}',
    method: 'GET',
    path: (id) => `/v1/user_profiles/${id}`,
    takesId: true,
    mutates: false,
    async succeeded(_server, fixture, response) {
      assert.equal(response.json.id, fixture.profileId);
      assert.equal(response.json.type, 'user_profile');
    },
  },
  {
    name: 'update POST /v1/user_profiles/{id}',
    method: 'POST',
    path: (id) => `/v1/user_profiles/${id}`,
    takesId: true,
    mutates: true,
    body: { name: UPDATED_NAME, metadata: { touched: 'yes' } },
    async succeeded(server, fixture, response) {
      assert.equal(response.json.id, fixture.profileId);
      assert.equal(response.json.name, UPDATED_NAME);
      const fetched = await call(server, 'GET', `/v1/user_profiles/${fixture.profileId}`, { key: fixture.owner.api_key });
      assert.equal(fetched.json.name, UPDATED_NAME);
      assert.equal(fetched.json.metadata.touched, 'yes');
    },
  },
  {
    name: 'list GET /v1/user_profiles',
    method: 'GET',
    path: () => '/v1/user_profiles',
    takesId: false,
    mutates: false,
    async succeeded(_server, fixture, response) {
      assert.deepEqual(response.json.data.map((p: { id: string }) => p.id), [fixture.profileId]);
    },
  },
  {
    name: 'delete DELETE /v1/user_profiles/{id}',
    method: 'DELETE',
    path: (id) => `/v1/user_profiles/${id}`,
    takesId: true,
    mutates: true,
    async succeeded(server, fixture, response) {
      assert.deepEqual(response.json, { id: fixture.profileId, type: 'user_profile_deleted' });
      const fetched = await call(server, 'GET', `/v1/user_profiles/${fixture.profileId}`, { key: fixture.owner.api_key });
      assert.equal(fetched.status, 404);
    },
  },
  {
    name: 'action URL POST /v1/user_profiles/{id}/action_urls',
    method: 'POST',
    path: (id) => `/v1/user_profiles/${id}/action_urls`,
    takesId: true,
    mutates: true,
    body: { action: { type: 'enroll_end_user' } },
    async succeeded(server, fixture, response) {
      assert.equal(response.json.type, 'user_profile_action_url');
      assert.ok(response.json.url.startsWith(server.baseURL), response.json.url);
      assert.equal(await tokenCount(server, fixture.profileId), 1);
    },
  },
  {
    name: 'enrollment URL POST /v1/user_profiles/{id}/enrollment_url',
    method: 'POST',
    path: (id) => `/v1/user_profiles/${id}/enrollment_url`,
    takesId: true,
    mutates: true,
    headers: { 'anthropic-beta': 'user-profiles-2026-08-18' },
    async succeeded(server, fixture, response) {
      assert.equal(response.json.type, 'enrollment_url');
      assert.ok(response.json.url.startsWith(server.baseURL), response.json.url);
      assert.equal(await tokenCount(server, fixture.profileId), 1);
    },
  },
];

async function tokenCount(server: TestServer, profileId: string): Promise<number> {
  const row = await server.store.sql.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM url_tokens WHERE profile_id = ?', [profileId]);
  return Number(row!.n);
}

/** Everything a request could have changed: the owner's view over HTTP, and the raw rows behind it. */
async function snapshot(server: TestServer, fixture: Fixture) {
  const key = fixture.owner.api_key;
  const profile = await call(server, 'GET', `/v1/user_profiles/${fixture.profileId}`, { key });
  const list = await call(server, 'GET', '/v1/user_profiles?limit=100', { key });
  assert.equal(profile.status, 200);
  assert.equal(list.status, 200);
  return {
    profile: profile.json,
    list: list.json,
    rows: await server.store.sql.all('SELECT * FROM user_profiles ORDER BY organization_id, id'),
    tokens: await server.store.sql.all('SELECT token_hash FROM url_tokens ORDER BY token_hash'),
  };
}

function assertError(response: RawResponse, status: number, type: string) {
  assert.equal(response.status, status, response.text);
  assert.equal(response.json?.type, 'error', response.text);
  assert.equal(response.json.error.type, type, response.text);
  assert.match(response.json.request_id, /^req_/);
  assert.equal(response.headers.get('request-id'), response.json.request_id);
}

describeEachEngine('security', (server) => {
  async function newFixture(): Promise<Fixture> {
    const name = `security-${randomUUID()}`;
    const owner = await server().newKey({ organization: name });
    const created = await call(server(), 'POST', '/v1/user_profiles', { key: owner.api_key, body: { name: 'Owner profile', metadata: { tier: 'gold' } } });
    assert.equal(created.status, 200, created.text);
    return { name, owner, profileId: created.json.id };
  }

  function send(route: Route, id: string, options: { key?: string; headers?: Record<string, string | null> } = {}) {
    return call(server(), route.method, route.path(id), {
      key: options.key,
      body: route.body,
      headers: { ...route.headers, ...options.headers },
    });
  }

  /** Sends a request that must be refused with `status`/`type`, and proves the database did not move. */
  async function refused(
    route: Route,
    fixture: Fixture,
    options: { key?: string; headers?: Record<string, string | null>; id?: string },
    status: number,
    type: string,
  ): Promise<RawResponse> {
    const before = await snapshot(server(), fixture);
    const response = await send(route, options.id ?? fixture.profileId, options);
    assertError(response, status, type);
    assert.deepEqual(await snapshot(server(), fixture), before, 'a refused request changed something');
    return response;
  }

  /** Sends a request that must succeed, checks the route's effect, and returns the response. */
  async function accepted(route: Route, fixture: Fixture, options: { key?: string; headers?: Record<string, string | null> }) {
    const response = await send(route, fixture.profileId, options);
    assert.equal(response.status, 200, response.text);
    assert.match(response.headers.get('request-id') ?? '', /^req_01[0-9A-Za-z]{22}$/);
    await route.succeeded(server(), fixture, response);
    return response;
  }

  for (const route of routes) {
    describe(route.name, () => {
      it('answers 200 to its owner with x-api-key, echoing the default workspace', async () => {
        const fixture = await newFixture();
        const response = await accepted(route, fixture, { key: fixture.owner.api_key });
        assert.equal(response.headers.get('anthropic-workspace-id'), fixture.owner.workspace_id);
      });

      it('refuses a request without a key: 401 authentication_error', async () => {
        const fixture = await newFixture();
        const response = await refused(route, fixture, {}, 401, 'authentication_error');
        assert.equal(response.headers.get('anthropic-workspace-id'), null);
      });

      it('refuses an unknown key: 401, whether sent as x-api-key or as a Bearer token', async () => {
        const fixture = await newFixture();
        const unknown = `sk-uprof-api01-${'A'.repeat(48)}`;
        await refused(route, fixture, { key: unknown }, 401, 'authentication_error');
        await refused(route, fixture, { headers: { authorization: `Bearer ${unknown}` } }, 401, 'authentication_error');
        // a real key with one character changed is just as unknown
        const tampered = fixture.owner.api_key.slice(0, -1) + (fixture.owner.api_key.endsWith('a') ? 'b' : 'a');
        await refused(route, fixture, { key: tampered }, 401, 'authentication_error');
      });

      it('refuses a revoked key: 401 (it worked before revocation)', async () => {
        const fixture = await newFixture();
        const key = await server().newKey({ organization: fixture.name });
        const probe = await call(server(), 'GET', '/v1/user_profiles', { key: key.api_key });
        assert.equal(probe.status, 200, 'the key works before it is revoked');
        assert.equal(await server().store.tenancy.revokeKey(key.key_id, Date.now()), true);
        await refused(route, fixture, { key: key.api_key }, 401, 'authentication_error');
        await refused(route, fixture, { headers: { authorization: `Bearer ${key.api_key}` } }, 401, 'authentication_error');
      });

      it('accepts the key as Authorization: Bearer exactly like x-api-key', async () => {
        const fixture = await newFixture();
        const response = await accepted(route, fixture, { headers: { authorization: `Bearer ${fixture.owner.api_key}` } });
        assert.equal(response.headers.get('anthropic-workspace-id'), fixture.owner.workspace_id);
      });

      it('refuses a missing anthropic-version: 400 invalid_request_error naming the header', async () => {
        const fixture = await newFixture();
        const response = await refused(route, fixture, { key: fixture.owner.api_key, headers: { 'anthropic-version': null } }, 400, 'invalid_request_error');
        assert.match(response.json.error.message, /anthropic-version/);
      });

      it('echoes the effective workspace on a refusal of an authenticated request (missing anthropic-version)', async () => {
        const fixture = await newFixture();
        const response = await refused(route, fixture, { key: fixture.owner.api_key, headers: { 'anthropic-version': null } }, 400, 'invalid_request_error');
        assert.equal(response.headers.get('anthropic-workspace-id'), fixture.owner.workspace_id);
      });

      it('accepts anthropic-version 2026-10-21', async () => {
        const fixture = await newFixture();
        await accepted(route, fixture, { key: fixture.owner.api_key, headers: { 'anthropic-version': '2026-10-21' } });
      });

      it('refuses anthropic-version 2099-01-01: 400 naming the header', async () => {
        const fixture = await newFixture();
        const response = await refused(route, fixture, { key: fixture.owner.api_key, headers: { 'anthropic-version': '2099-01-01' } }, 400, 'invalid_request_error');
        assert.match(response.json.error.message, /anthropic-version/);
      });

      it('lets a workspace-bound key act for its own workspace only: another workspace id → 403 permission_error', async () => {
        const fixture = await newFixture();
        const bound = await server().newKey({ organization: fixture.name, workspace: 'ws-a' });
        const other = await server().newKey({ organization: fixture.name, workspace: 'ws-b' });
        assert.notEqual(bound.workspace_id, fixture.owner.workspace_id);
        for (const workspace of [fixture.owner.workspace_id, other.workspace_id]) {
          await refused(route, fixture, { key: bound.api_key, headers: { 'anthropic-workspace-id': workspace } }, 403, 'permission_error');
        }
        // its own workspace, named or not, is fine and echoed
        const response = await accepted(route, fixture, { key: bound.api_key, headers: { 'anthropic-workspace-id': bound.workspace_id } });
        assert.equal(response.headers.get('anthropic-workspace-id'), bound.workspace_id);
      });

      it('refuses an organization-wide key naming a workspace of another organization: 403', async () => {
        const fixture = await newFixture();
        const stranger = await server().newKey({ workspace: 'theirs' });
        for (const workspace of [stranger.workspace_id, (await server().newKey()).workspace_id]) {
          await refused(route, fixture, { key: fixture.owner.api_key, headers: { 'anthropic-workspace-id': workspace } }, 403, 'permission_error');
        }
      });

      it('lets an organization-wide key act for its second workspace, echoed in anthropic-workspace-id', async () => {
        const fixture = await newFixture();
        const second = await server().newKey({ organization: fixture.name, workspace: 'second' });
        assert.notEqual(second.workspace_id, fixture.owner.workspace_id);
        const response = await accepted(route, fixture, { key: fixture.owner.api_key, headers: { 'anthropic-workspace-id': second.workspace_id } });
        assert.equal(response.headers.get('anthropic-workspace-id'), second.workspace_id);
      });

      if (route.takesId) {
        it("answers 404 not_found_error for another organization's profile, and changes nothing for its owner", async () => {
          const fixture = await newFixture();
          const intruder = await server().newKey();
          const response = await refused(route, fixture, { key: intruder.api_key }, 404, 'not_found_error');
          assert.equal(response.headers.get('anthropic-workspace-id'), intruder.workspace_id);
          // the same answer as for an id that never existed: nothing tells the two apart
          const neverExisted = await send(route, 'uprof_01' + 'A'.repeat(22), { key: intruder.api_key });
          assertError(neverExisted, 404, 'not_found_error');
        });

        it("answers 404 for another organization's profile even with the intruder naming a workspace of its own", async () => {
          const fixture = await newFixture();
          const intruder = await server().newKey({ workspace: 'intruder-ws' });
          await refused(route, fixture, { key: intruder.api_key, headers: { 'anthropic-workspace-id': intruder.workspace_id } }, 404, 'not_found_error');
        });

        it("answers 404 for malformed ids ('uprof_x', 'foo', another prefix)", async () => {
          const fixture = await newFixture();
          for (const id of ['uprof_x', 'foo', fixture.profileId.replace('uprof_', 'wrkspc_'), `${fixture.profileId}x`, fixture.profileId.slice(0, -1)]) {
            const response = await refused(route, fixture, { key: fixture.owner.api_key, id }, 404, 'not_found_error');
            assert.equal(response.headers.get('anthropic-workspace-id'), fixture.owner.workspace_id);
          }
        });
      } else if (route.name.startsWith('list')) {
        it("never shows another organization's profiles", async () => {
          const fixture = await newFixture();
          const intruder = await server().newKey();
          const response = await send(route, '', { key: intruder.api_key });
          assert.equal(response.status, 200);
          assert.deepEqual(response.json.data, []);
          const own = await send(route, '', { key: fixture.owner.api_key });
          assert.deepEqual(own.json.data.map((p: { id: string }) => p.id), [fixture.profileId]);
        });
      } else {
        it("puts the profile in the caller's organization only", async () => {
          const fixture = await newFixture();
          const intruder = await server().newKey();
          const before = await snapshot(server(), fixture);
          const response = await send(route, '', { key: intruder.api_key });
          assert.equal(response.status, 200);
          const after = await snapshot(server(), fixture);
          assert.deepEqual(after.list, before.list, "the owner's list is unchanged");
          const theirs = await call(server(), 'GET', '/v1/user_profiles', { key: intruder.api_key });
          assert.deepEqual(theirs.json.data.map((p: { id: string }) => p.id), [response.json.id]);
        });
      }

      it('refuses an admin key: 403 permission_error', async () => {
        const fixture = await newFixture();
        const admin = await server().newKey({ organization: fixture.name, role: 'admin' });
        await refused(route, fixture, { key: admin.api_key }, 403, 'permission_error');
        await refused(route, fixture, { headers: { authorization: `Bearer ${admin.api_key}` } }, 403, 'permission_error');
      });

      it('answers an operator key with 404 not_found_error, as if the route did not exist', async () => {
        const fixture = await newFixture();
        const operator = await server().newKey({ organization: fixture.name, role: 'operator' });
        await refused(route, fixture, { key: operator.api_key }, 404, 'not_found_error');
      });
    });
  }
});
