/**
 * Organization webhooks, the management API (api-contract-2.md §2.1–§2.5, decisions §28, §32, §33): W1–W6 through
 * the official SDK 1.14 (`client.beta.organization.webhooks`), raw HTTP for the gate, headers and bodies the
 * SDK would not send, and the delivery-log extension's routes. Deliveries themselves: webhooks-delivery.test.ts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { EVENT_TYPES } from '../../src/domain/events.ts';
import { call, type RawResponse, type TestServer } from '../support/server.ts';
import { describeEachEngine } from '../support/suite.ts';
import { assertApiError, assertOk, codePoints, expectSdkError, recordingFetch, sortedKeys, TIMESTAMP_Z } from './profile-api.ts';

const BETA = 'webhooks-2026-10-07';
const BASE = '/v1/organizations/webhooks';
const ENDPOINT_ID = /^whep_01[0-9A-Za-z]{22}$/;
/** `whsec_` + standard base64 (with padding) of 32 bytes */
const SIGNING_SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;
const ENDPOINT_KEYS = ['created_at', 'description', 'disabled_reason', 'enabled_events', 'id', 'name', 'state', 'updated_at', 'url'];
const OPENED = 'user_profile.enforcement_action_opened';
const RESOLVED = 'user_profile.enforcement_action_resolved';
const PROGRAMS = 'user_profile.program_status_updated';
const HOOK = 'https://hooks.example.com/uprof';

/** Every route of the feature, with a valid body; `write`: a change (refused to workspace-bound keys). */
const ROUTES: { name: string; write: boolean; method: string; path: (id: string) => string; body?: unknown }[] = [
  { name: 'W1 create', write: true, method: 'POST', path: () => BASE, body: { url: HOOK, enabled_events: ['user_profile.enforcement_action_opened'] } },
  { name: 'W2 retrieve', write: false, method: 'GET', path: (id) => `${BASE}/${id}` },
  { name: 'W3 update', write: true, method: 'POST', path: (id) => `${BASE}/${id}`, body: { name: 'changed' } },
  { name: 'W4 list', write: false, method: 'GET', path: () => BASE },
  { name: 'W5 delete', write: true, method: 'DELETE', path: (id) => `${BASE}/${id}` },
  { name: 'W6 regenerate', write: true, method: 'POST', path: (id) => `${BASE}/${id}/regenerate_signing_secret` },
  { name: 'delivery log', write: false, method: 'GET', path: (id) => `${BASE}/${id}/deliveries` },
  { name: 'resend', write: true, method: 'POST', path: (id) => `${BASE}/${id}/deliveries/whe_${'0'.repeat(32)}/resend` },
];

type Client = Anthropic;
const any = (value: unknown) => value as any; // the SDK sends bodies as given; the tests decide what is valid

function sdk(server: TestServer, apiKey: string, options: { fetch?: typeof fetch } = {}): Client {
  return new Anthropic({ apiKey, baseURL: server.baseURL, maxRetries: 0, ...options });
}

/** The exact shape of `BetaOrganizationWebhookEndpoint` (contract-2 §2.3), plus `signing_secret` where `withSecret`. */
function assertEndpointShape(endpoint: any, withSecret = false): void {
  assert.deepEqual(sortedKeys(endpoint), withSecret ? [...ENDPOINT_KEYS, 'signing_secret'].sort() : ENDPOINT_KEYS);
  assert.match(endpoint.id, ENDPOINT_ID);
  assert.equal(typeof endpoint.url, 'string');
  assert.equal(typeof endpoint.name, 'string');
  assert.equal(typeof endpoint.description, 'string');
  assert.ok(Array.isArray(endpoint.enabled_events) && endpoint.enabled_events.length > 0);
  assert.ok(['enabled', 'disabled'].includes(endpoint.state));
  assert.equal(typeof endpoint.disabled_reason, 'string');
  assert.match(endpoint.created_at, TIMESTAMP_Z);
  assert.match(endpoint.updated_at, TIMESTAMP_Z);
  if (withSecret) {
    assert.match(endpoint.signing_secret, SIGNING_SECRET);
    assert.equal(Buffer.from(endpoint.signing_secret.slice('whsec_'.length), 'base64').length, 32);
  }
}

const withoutSecret = ({ signing_secret: _, ...endpoint }: any) => endpoint;

describeEachEngine('organization webhooks API', (server) => {
  /** A fresh organization with every kind of key, and helpers speaking for them. */
  async function tenant() {
    const organization = `webhooks-api-${randomUUID()}`;
    const owner = await server().newKey({ organization });
    const admin = await server().newKey({ organization, role: 'admin' });
    const bound = await server().newKey({ organization, workspace: 'ws-bound' });
    const operator = await server().newKey({ organization, role: 'operator' });
    /** raw HTTP with the webhooks beta value (override or drop headers with `headers`) */
    const raw = (method: string, path: string, options: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string | null> } = {}) =>
      call(server(), method, path, { key: owner.api_key, ...options, headers: { 'anthropic-beta': BETA, ...options.headers } });
    const webhooks = sdk(server(), owner.api_key).beta.organization.webhooks;
    const create = (body: Record<string, unknown> = {}) =>
      webhooks.create(any({ url: HOOK, enabled_events: [OPENED], ...body }));
    /** the endpoint as it is stored now (raw, so no SDK post-processing hides anything) */
    const current = async (id: string) => assertOk(await raw('GET', `${BASE}/${id}`));
    return { organization, owner, admin, bound, operator, raw, webhooks, create, current };
  }
  type Tenant = Awaited<ReturnType<typeof tenant>>;

  /** Every route, for one endpoint, with a valid body, called with `key`: [name, writes?, call]. */
  function everyRoute(t: Tenant, id: string, key: string): [string, boolean, () => Promise<RawResponse>][] {
    return ROUTES.map(({ name, write, method, path, body }) => [name, write, () => t.raw(method, path(id), { key, body })]);
  }

  it('W1–W6 through the SDK: exact shapes, signing_secret only from create and regenerate', async () => {
    const t = await tenant();
    const created = await t.create({ name: 'Mirror', description: 'Enforcement feed', enabled_events: [OPENED, RESOLVED] });
    assertEndpointShape(created, true);
    assert.deepEqual(withoutSecret(created), {
      id: created.id, url: HOOK, name: 'Mirror', description: 'Enforcement feed', enabled_events: [OPENED, RESOLVED],
      state: 'enabled', disabled_reason: '', created_at: created.created_at, updated_at: created.created_at,
    });
    assert.ok(Math.abs(Date.parse(created.created_at) - server().clock.now()) < 5_000, 'created_at is now');

    const retrieved = await t.webhooks.retrieve(created.id);
    assertEndpointShape(retrieved);
    assert.deepEqual(retrieved, withoutSecret(created));

    const plain = await t.create();
    assert.equal(plain.name, '', 'name is "" when not given, never null');
    assert.equal(plain.description, '');

    server().clock.advance(1_000);
    const updated = await t.webhooks.update(created.id, { name: 'Renamed', enabled_events: [PROGRAMS] });
    assertEndpointShape(updated);
    assert.deepEqual(updated, { ...retrieved, name: 'Renamed', enabled_events: [PROGRAMS], updated_at: updated.updated_at });
    assert.ok(Date.parse(updated.updated_at) > Date.parse(created.updated_at), 'updated_at moves on a change');

    const listed = await t.webhooks.list();
    assert.deepEqual(listed.data.map((e) => e.id).sort(), [created.id, plain.id].sort());
    for (const endpoint of listed.data) assertEndpointShape(endpoint);
    assert.deepEqual(listed.data.find((e) => e.id === created.id), updated);

    const regenerated = await t.webhooks.regenerateSigningSecret(created.id);
    assert.deepEqual(sortedKeys(regenerated), ['signing_secret']);
    assert.match(regenerated.signing_secret, SIGNING_SECRET);
    assert.notEqual(regenerated.signing_secret, created.signing_secret);
    assert.ok(!('signing_secret' in (await t.current(created.id))), 'no read shows the secret');

    const deleted = await t.webhooks.delete(created.id);
    assert.deepEqual(deleted, { id: created.id, type: 'webhook_endpoint_deleted' });
    await expectSdkError(t.webhooks.retrieve(created.id), 404, 'not_found_error');
    await expectSdkError(t.webhooks.delete(created.id), 404, 'not_found_error');
    await expectSdkError(t.webhooks.update(created.id, { name: 'x' }), 404, 'not_found_error');
    await expectSdkError(t.webhooks.regenerateSigningSecret(created.id), 404, 'not_found_error');
    assert.deepEqual((await t.webhooks.list()).data.map((e) => e.id), [plain.id], 'gone from the list');
  });

  it('update: only sent fields change; an empty enabled_events leaves the set; no-op leaves updated_at', async () => {
    const t = await tenant();
    const created = withoutSecret(await t.create({ name: 'n', description: 'd', enabled_events: [OPENED, RESOLVED] }));
    server().clock.advance(1_000);
    assert.deepEqual(await t.webhooks.update(created.id, { enabled_events: [] }), created, 'empty list: unchanged');
    assert.deepEqual(await t.webhooks.update(created.id, {}), created, 'empty body: unchanged');
    assert.deepEqual(await t.webhooks.update(created.id, { name: 'n', state: 'enabled' }), created, 'same values: unchanged');
    assert.deepEqual(assertOk(await t.raw('POST', `${BASE}/${created.id}`)), created, 'no body at all: unchanged');

    const replaced = await t.webhooks.update(created.id, { enabled_events: [PROGRAMS, 'user_profile.created' as any] });
    assert.deepEqual(replaced.enabled_events, [PROGRAMS, 'user_profile.created'], 'replaces the whole set');
    const described = await t.webhooks.update(created.id, { description: '' });
    assert.deepEqual(described, { ...replaced, description: '', updated_at: described.updated_at }, 'only description changed');
    const moved = await t.webhooks.update(created.id, { url: 'https://elsewhere.example/h?x=1' });
    assert.equal(moved.url, 'https://elsewhere.example/h?x=1');

    const disabled = await t.webhooks.update(created.id, { state: 'disabled' });
    assert.equal(disabled.state, 'disabled');
    assert.equal(disabled.disabled_reason, '', 'a caller-disabled endpoint has no disabled_reason');
    const enabled = await t.webhooks.update(created.id, { state: 'enabled' });
    assert.deepEqual(enabled, { ...disabled, state: 'enabled', updated_at: enabled.updated_at });
  });

  it('list is a Page: the SDK auto-pager walks 7 endpoints 2 at a time, both orders', async () => {
    const t = await tenant();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await t.create({ name: `e${i}` })).id);
      server().clock.advance(10); // distinct created_at, so creation order is list order
    }
    const desc = [...ids].reverse();
    for (const [order, expected] of [['asc', ids], ['desc', desc]] as const) {
      const recorder = recordingFetch();
      const webhooks = sdk(server(), t.owner.api_key, { fetch: recorder.fetch }).beta.organization.webhooks;
      const walked: string[] = [];
      for await (const endpoint of webhooks.list({ limit: 2, order })) walked.push(endpoint.id);
      assert.deepEqual(walked, expected, `${order}: every endpoint once, in order`);
      // 2+2+2+1: the last page says has_more: false, so the SDK stops without an empty fifth request
      assert.equal(recorder.sent.length, 4);
      assert.deepEqual(recorder.sent.map((r) => r.url.searchParams.get('after_id')), [null, expected[1], expected[3], expected[5]]);
      for (const request of recorder.sent) assert.ok(request.headers.get('anthropic-beta')?.includes(BETA));
    }
    // the default order is desc, and limit 0 means 20
    const all = assertOk(await t.raw('GET', `${BASE}?limit=0`));
    assert.deepEqual(all.data.map((e: any) => e.id), desc);
    assert.deepEqual({ ...all, data: undefined }, { data: undefined, has_more: false, first_id: desc[0], last_id: desc[6] });
    assert.deepEqual(assertOk(await t.raw('GET', BASE)).data.map((e: any) => e.id), desc, 'no query: desc, 20');
    const first = assertOk(await t.raw('GET', `${BASE}?limit=2`));
    assert.deepEqual(first, { data: first.data, has_more: true, first_id: desc[0], last_id: desc[1] });
    assert.equal(assertOk(await t.raw('GET', `${BASE}?limit=7`)).has_more, false, 'exactly all: no more');
    assert.equal(assertOk(await t.raw('GET', `${BASE}?limit=6`)).has_more, true);
    assert.deepEqual(assertOk(await t.raw('GET', `${BASE}?after_id=${desc[6]}`)), { data: [], has_more: false, first_id: null, last_id: null });
  });

  it('before_id keeps the documented quirk: the first `limit` endpoints before the cursor in list order', async () => {
    const t = await tenant();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await t.create()).id);
      server().clock.advance(10);
    }
    const desc = [...ids].reverse();
    const ids_ = (res: RawResponse) => assertOk(res).data.map((e: any) => e.id);
    // desc: endpoints newer than desc[4] are desc[0..3]; the page is the first two of those, not desc[2..3]
    const quirky = assertOk(await t.raw('GET', `${BASE}?limit=2&before_id=${desc[4]}`));
    assert.deepEqual(quirky.data.map((e: any) => e.id), [desc[0], desc[1]]);
    assert.equal(quirky.has_more, true);
    assert.deepEqual(ids_(await t.raw('GET', `${BASE}?limit=2&before_id=${desc[2]}`)), [desc[0], desc[1]]);
    assert.equal(assertOk(await t.raw('GET', `${BASE}?limit=2&before_id=${desc[2]}`)).has_more, false);
    assert.deepEqual(ids_(await t.raw('GET', `${BASE}?limit=2&order=asc&before_id=${ids[5]}`)), [ids[0], ids[1]]);
    assert.deepEqual(assertOk(await t.raw('GET', `${BASE}?before_id=${desc[0]}`)), { data: [], has_more: false, first_id: null, last_id: null });

    // the SDK pages backwards with before_id=<first_id>: after the quirky first page there is nothing before desc[0]
    const walked: string[] = [];
    for await (const endpoint of t.webhooks.list({ limit: 2, before_id: desc[6] })) walked.push(endpoint.id);
    assert.deepEqual(walked, [desc[0], desc[1]]);
  });

  it('list query validation: limit 0–100, order asc/desc, after_id xor before_id', async () => {
    const t = await tenant();
    await t.create();
    for (const query of ['limit=0', 'limit=1', 'limit=100', 'order=asc', 'order=desc', 'beta=true', 'limit=5&beta=true']) {
      assert.equal(assertOk(await t.raw('GET', `${BASE}?${query}`)).data.length, 1, query);
    }
    for (const query of ['limit=101', 'limit=-1', 'limit=abc', 'limit=1.5', 'limit=', 'order=sideways', 'order=ASC', 'limit=1&limit=2',
      `after_id=whep_01${'a'.repeat(22)}&before_id=whep_01${'b'.repeat(22)}`]) {
      assertApiError(await t.raw('GET', `${BASE}?${query}`), 400, 'invalid_request_error');
    }
    await expectSdkError(t.webhooks.list({ limit: 101 }), 400, 'invalid_request_error');
  });

  it('the 33rd endpoint is refused (enabled and disabled both count); a delete frees a slot', async () => {
    const t = await tenant();
    const created = await Promise.all(Array.from({ length: 32 }, (_, i) => t.create({ name: `n${i}` })));
    assert.equal(new Set(created.map((e) => e.id)).size, 32);
    await t.webhooks.update(created[0].id, { state: 'disabled' });
    const error = await expectSdkError(t.create({ name: 'one too many' }), 400, 'invalid_request_error');
    assert.match(error.error.error.message, /32/);
    const listed = assertOk(await t.raw('GET', `${BASE}?limit=100`));
    assert.equal(listed.data.length, 32, 'the refused create made nothing');
    assert.ok(!listed.data.some((e: any) => e.name === 'one too many'));
    // two racing creates cannot both take the last slot
    await t.webhooks.delete(created[1].id);
    const race = await Promise.allSettled([t.create({ name: 'a' }), t.create({ name: 'b' })]);
    assert.deepEqual(race.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    assert.equal(assertOk(await t.raw('GET', `${BASE}?limit=100`)).data.length, 32);
    // another organization has its own 32
    const other = await tenant();
    await other.create();
  });

  it('url: https://, or http:// for loopback hosts only; at most 2048 characters', async () => {
    const t = await tenant();
    const accepted = [
      'https://hooks.example.com/a', 'HTTPS://Hooks.Example.com/b', 'https://10.0.0.1/private-is-https-ok', 'http://localhost/h',
      'http://localhost:8080/h', 'http://127.0.0.1:9/h', 'http://127.255.10.2/h', 'http://[::1]:8443/h',
    ];
    for (const url of accepted) assert.equal((await t.create({ url })).url, url, url);
    const refused = [
      'http://hooks.example.com/h', 'http://10.0.0.1/h', 'http://128.0.0.1/h', 'http://localhost.example.com/h', 'http://[::2]/h',
      'ftp://hooks.example.com/h', 'hooks.example.com/h', 'not a url', '', ' https://hooks.example.com/h', 'https://',
    ];
    const endpoint = await t.create();
    for (const url of refused) {
      assertApiError(await t.raw('POST', BASE, { body: { url, enabled_events: [OPENED] } }), 400, 'invalid_request_error', 'url');
      assertApiError(await t.raw('POST', `${BASE}/${endpoint.id}`, { body: { url } }), 400, 'invalid_request_error', 'url');
    }
    for (const url of [null, 42, ['https://x.example']]) {
      assertApiError(await t.raw('POST', BASE, { body: { url, enabled_events: [OPENED] } }), 400, 'invalid_request_error', 'url');
    }
    assertApiError(await t.raw('POST', BASE, { body: { enabled_events: [OPENED] } }), 400, 'invalid_request_error', 'url');

    // 2048 code points (astral ones count once) accepted, 2049 refused
    const prefix = 'https://hooks.example.com/';
    const long = prefix + codePoints(2048 - prefix.length);
    assert.equal((await t.create({ url: long })).url, long);
    assert.equal((await t.webhooks.update(endpoint.id, { url: long })).url, long);
    assertApiError(await t.raw('POST', BASE, { body: { url: long + 'x', enabled_events: [OPENED] } }), 400, 'invalid_request_error', 'url');
    assertApiError(await t.raw('POST', `${BASE}/${endpoint.id}`, { body: { url: long + 'x' } }), 400, 'invalid_request_error', 'url');
    assert.equal((await t.current(endpoint.id)).url, long, 'refused updates changed nothing');
  });

  it('enabled_events: at least one on create, known values only (documented and extension), duplicates once', async () => {
    const t = await tenant();
    const all = await t.create({ enabled_events: [...EVENT_TYPES] });
    assert.deepEqual(all.enabled_events, [...EVENT_TYPES]);
    assert.deepEqual((await t.create({ enabled_events: ['user_profile.deleted'] })).enabled_events, ['user_profile.deleted']);
    assert.deepEqual((await t.create({ enabled_events: [OPENED, OPENED, RESOLVED] })).enabled_events, [OPENED, RESOLVED]);

    const before = assertOk(await t.raw('GET', `${BASE}?limit=100`));
    for (const enabled_events of [[], ['user_profile.nope'], [OPENED, 'OPENED'], OPENED, null, [null], [{ type: OPENED }]]) {
      assertApiError(await t.raw('POST', BASE, { body: { url: HOOK, enabled_events } }), 400, 'invalid_request_error', 'enabled_events');
    }
    assertApiError(await t.raw('POST', BASE, { body: { url: HOOK } }), 400, 'invalid_request_error', 'enabled_events');
    for (const enabled_events of [['user_profile.nope'], OPENED, null]) {
      assertApiError(await t.raw('POST', `${BASE}/${all.id}`, { body: { enabled_events } }), 400, 'invalid_request_error', 'enabled_events');
    }
    assert.deepEqual(assertOk(await t.raw('GET', `${BASE}?limit=100`)), before, 'refused requests created and changed nothing');
  });

  it('name ≤ 255 and description ≤ 1024 code points, both sides; state enabled/disabled; unknown fields refused', async () => {
    const t = await tenant();
    const created = await t.create({ name: codePoints(255), description: codePoints(1024) });
    assert.equal(created.name, codePoints(255));
    assert.equal(created.description, codePoints(1024));
    const empty = await t.webhooks.update(created.id, { name: '', description: '' });
    assert.deepEqual([empty.name, empty.description], ['', '']);
    const full = await t.webhooks.update(created.id, { name: codePoints(255), description: codePoints(1024) });
    assert.deepEqual([full.name, full.description], [codePoints(255), codePoints(1024)]);

    const stored = await t.current(created.id);
    const refusedUpdates: Record<string, unknown>[] = [
      { name: codePoints(256) }, { description: codePoints(1025) }, { name: null }, { description: 7 }, { name: 'a\u0000b' },
      { state: 'paused' }, { state: null }, { state: 'Enabled' }, { signing_secret: 'whsec_AAAA' }, { type: 'webhook_endpoint' },
      { name: 'ok', bogus: true }, // a valid field beside a refused one: nothing changes
    ];
    for (const body of refusedUpdates) {
      assertApiError(await t.raw('POST', `${BASE}/${created.id}`, { body }), 400, 'invalid_request_error');
    }
    for (const body of ['[]', '"x"', '{"name":', 'null']) {
      assertApiError(await t.raw('POST', `${BASE}/${created.id}`, { rawBody: body }), 400, 'invalid_request_error');
    }
    assert.deepEqual(await t.current(created.id), stored, 'refused updates changed nothing');

    const count = assertOk(await t.raw('GET', BASE)).data.length;
    const refusedCreates: Record<string, unknown>[] = [
      { name: codePoints(256) }, { description: codePoints(1025) }, { state: 'enabled' }, { id: 'whep_mine' }, { signing_secret: 'whsec_AAAA' },
    ];
    for (const extra of refusedCreates) {
      assertApiError(await t.raw('POST', BASE, { body: { url: HOOK, enabled_events: [OPENED], ...extra } }), 400, 'invalid_request_error');
    }
    assertApiError(await t.raw('POST', BASE), 400, 'invalid_request_error');
    assert.equal(assertOk(await t.raw('GET', BASE)).data.length, count, 'refused creates made nothing');

    // W6 and resend take no body
    assertApiError(await t.raw('POST', `${BASE}/${created.id}/regenerate_signing_secret`, { body: { x: 1 } }), 400, 'invalid_request_error');
    assert.deepEqual(sortedKeys(assertOk(await t.raw('POST', `${BASE}/${created.id}/regenerate_signing_secret`, { body: {} }))), ['signing_secret']);
  });

  it('gate: without webhooks-2026-10-07 every route is a 404 like an unknown route, before any other check', async () => {
    const t = await tenant();
    const endpoint = await t.create();
    const before = assertOk(await t.raw('GET', `${BASE}?limit=100`));
    const unknownRoute = await call(server(), 'GET', '/v1/organizations/nothing_here', { key: t.owner.api_key });
    assertApiError(unknownRoute, 404, 'not_found_error');
    for (const beta of [null, 'user-profiles-2026-09-04', 'webhooks-2026-10-06', 'webhooks-2026-10-07x', 'message-batches-2024-09-24']) {
      for (const { name, method, path, body } of ROUTES) {
        for (const key of [t.owner.api_key, undefined, 'sk-not-a-key']) {
          const res = await call(server(), method, path(endpoint.id), { key, body, headers: { 'anthropic-beta': beta } });
          assertApiError(res, 404, 'not_found_error');
          assert.equal(res.json.error.message, `No route for ${method} ${path(endpoint.id)}.`, `${name}, beta ${beta}: the unknown-route answer`);
        }
      }
    }
    assert.deepEqual(assertOk(await t.raw('GET', `${BASE}?limit=100`)), before, 'nothing changed');
    // the value may sit anywhere in a comma-separated list, with spaces around it
    const listed = await call(server(), 'GET', BASE, { key: t.owner.api_key, headers: { 'anthropic-beta': `user-profiles-2026-09-04 , ${BETA} ` } });
    assert.equal(assertOk(listed).data.length, 1);
    const created = await call(server(), 'POST', `${BASE}?beta=true`, {
      key: t.owner.api_key, headers: { 'anthropic-beta': `message-batches-2024-09-24,${BETA}` }, body: { url: HOOK, enabled_events: [OPENED] },
    });
    assertEndpointShape(assertOk(created), true);
  });

  it('auth: 401 without a live key; anthropic-version required; Bearer and x-api-key both work', async () => {
    const t = await tenant();
    const endpoint = await t.create();
    assertApiError(await t.raw('GET', BASE, { key: '' }), 401, 'authentication_error');
    assertApiError(await t.raw('GET', BASE, { key: 'sk-uprof-api01-unknown' }), 401, 'authentication_error');
    assertApiError(await t.raw('POST', BASE, { key: 'sk-uprof-api01-unknown', body: { url: HOOK, enabled_events: [OPENED] } }), 401, 'authentication_error');
    assertApiError(await t.raw('GET', BASE, { headers: { 'anthropic-version': null } }), 400, 'invalid_request_error', 'anthropic-version');
    assertApiError(await t.raw('GET', BASE, { headers: { 'anthropic-version': '2024-01-01' } }), 400, 'invalid_request_error', 'anthropic-version');
    for (const version of ['2023-06-01', '2026-10-21']) {
      assert.equal(assertOk(await t.raw('GET', BASE, { headers: { 'anthropic-version': version } })).data.length, 1, version);
    }
    const bearer = await t.raw('GET', `${BASE}/${endpoint.id}`, { key: '', headers: { authorization: `Bearer ${t.owner.api_key}` } });
    assert.equal(assertOk(bearer).id, endpoint.id);
    // the SDK sends Bearer and 2026-10-21 (contract-2 §2.1)
    const recorder = recordingFetch();
    await sdk(server(), t.owner.api_key, { fetch: recorder.fetch }).beta.organization.webhooks.retrieve(endpoint.id);
    assert.equal(recorder.sent[0].headers.get('anthropic-beta'), BETA);
  });

  it('decisions §32: admin and organization-wide keys manage; a workspace-bound key only reads; operator keys see nothing', async () => {
    const t = await tenant();
    // an admin key does everything through the SDK
    const admin = sdk(server(), t.admin.api_key).beta.organization.webhooks;
    const byAdmin = await admin.create({ url: HOOK, enabled_events: [OPENED] });
    assert.equal((await admin.update(byAdmin.id, { name: 'admin' })).name, 'admin');
    assert.match((await admin.regenerateSigningSecret(byAdmin.id)).signing_secret, SIGNING_SECRET);
    assert.equal((await admin.list()).data.length, 1);
    assert.deepEqual(await admin.delete(byAdmin.id), { id: byAdmin.id, type: 'webhook_endpoint_deleted' });

    const endpoint = withoutSecret(await t.create({ name: 'keep' }));
    // a workspace-bound key reads (through the SDK too) …
    const bound = sdk(server(), t.bound.api_key).beta.organization.webhooks;
    assert.deepEqual(await bound.retrieve(endpoint.id), endpoint);
    assert.deepEqual((await bound.list()).data, [endpoint]);
    await expectSdkError(bound.create({ url: HOOK, enabled_events: [OPENED] }), 403, 'permission_error');
    // … and gets 403 for every change, which changes nothing
    for (const [name, writes, send] of everyRoute(t, endpoint.id, t.bound.api_key)) {
      const res = await send();
      if (writes) assertApiError(res, 403, 'permission_error');
      else assert.equal(res.status, 200, `${name}: ${res.text}`);
      assert.equal(res.headers.get('anthropic-workspace-id'), t.bound.workspace_id, `${name} echoes the workspace`);
    }
    // a 403 comes before body validation: the bound key learns nothing about the body
    assertApiError(await t.raw('POST', BASE, { key: t.bound.api_key, body: { bogus: 1 } }), 403, 'permission_error');
    assert.deepEqual(await t.current(endpoint.id), endpoint);
    assert.equal(assertOk(await t.raw('GET', BASE)).data.length, 1);

    // operator keys: the unknown-route 404 on every route
    for (const [, , send] of everyRoute(t, endpoint.id, t.operator.api_key)) assertApiError(await send(), 404, 'not_found_error');
    // a workspace the key may not act for
    assertApiError(await t.raw('GET', BASE, { key: t.bound.api_key, headers: { 'anthropic-workspace-id': t.owner.workspace_id } }), 403, 'permission_error');
    assertApiError(await t.raw('GET', BASE, { headers: { 'anthropic-workspace-id': 'wrkspc_01nope' } }), 403, 'permission_error');
    assert.deepEqual(await t.current(endpoint.id), endpoint, 'nothing changed');
  });

  it("another organization's endpoint is a 404 on every route, and stays as it was", async () => {
    const t = await tenant();
    const stranger = await tenant();
    const theirs = withoutSecret(await stranger.create({ name: 'theirs' }));
    for (const [name, , send] of everyRoute(t, theirs.id, t.owner.api_key)) {
      if (name === 'W1 create' || name === 'W4 list') continue;
      assertApiError(await send(), 404, 'not_found_error');
    }
    assert.deepEqual(assertOk(await t.raw('GET', BASE)).data.filter((e: any) => e.id === theirs.id), []);
    assert.deepEqual(await stranger.current(theirs.id), theirs);
    // ids we could never have minted, and over-long ones, are simply not found
    for (const id of ['whep_nope', `whep_01${'x'.repeat(23)}`, `uprof_01${'a'.repeat(22)}`, 'x'.repeat(2048)]) {
      assertApiError(await t.raw('GET', `${BASE}/${id}`), 404, 'not_found_error');
      assertApiError(await t.raw('POST', `${BASE}/${id}`, { body: { name: 'x' } }), 404, 'not_found_error');
    }
  });

  it('delivery log and resend routes: empty log, limit 1–100, unknown events 404', async () => {
    const t = await tenant();
    const endpoint = await t.create();
    const log = (query = '') => t.raw('GET', `${BASE}/${endpoint.id}/deliveries${query}`);
    assert.deepEqual(assertOk(await log()), { data: [] });
    for (const query of ['?limit=1', '?limit=100', '?beta=true']) assert.deepEqual(assertOk(await log(query)), { data: [] }, query);
    for (const query of ['?limit=0', '?limit=101', '?limit=x']) assertApiError(await log(query), 400, 'invalid_request_error', 'limit');
    for (const eventId of [`whe_${'0'.repeat(32)}`, 'whe_short', `whe_${'G'.repeat(32)}`]) {
      assertApiError(await t.raw('POST', `${BASE}/${endpoint.id}/deliveries/${eventId}/resend`), 404, 'not_found_error');
    }
  });
});
