/**
 * What other official clients send (decisions §35, §37): the Python SDK sets `content-type: application/json` on
 * every non-GET request and the PHP SDK on every request, bodyless ones included; JSON keys are data (`__proto__`
 * is a metadata key like any other); a PHP SDK release re-sends its query as `limit[]=…` from page two on.
 * Raw sockets, so that "no content-length" really means none.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { MintedKey } from '../../src/keys.ts';
import { exchange, requestBytes, type RawHttpResponse } from '../support/raw-http.ts';
import { call, type RawResponse } from '../support/server.ts';
import { describeEachEngine } from '../support/suite.ts';
import { newConsoleOrg, signedIn } from './console-client.ts';

const REQUEST_ID = /^req_01[0-9A-Za-z]{22}$/;
const WEBHOOKS_BETA = 'webhooks-2026-10-07';
const HOOK = 'https://hooks.example.com/uprof';
const DIALECTS: [string, string | null][] = [
  ['user-profiles-2026-03-24', 'user-profiles-2026-03-24'],
  ['user-profiles-2026-08-18', 'user-profiles-2026-08-18'],
  ['user-profiles-2026-09-04', 'user-profiles-2026-09-04'],
  ['GA', null],
];

/** One organization with every kind of key, a profile, an open enforcement action and a webhook endpoint. */
interface Tenant {
  platform: MintedKey;
  admin: MintedKey;
  operator: MintedKey;
  profileId: string;
  actionId: string;
  endpointId: string;
}

/** What a route answers when it gets no body: 200 and the `type` of its answer, or a 400 naming what is missing. */
type Expected = { status: 200; type?: string } | { status: 400 | 404; names: RegExp };

interface BodylessCase {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  path(t: Tenant): string;
  key(t: Tenant): string;
  headers?: Record<string, string>;
  expected: Expected;
}

const profile = (t: Tenant) => `/v1/user_profiles/${t.profileId}`;
const operatorProfile = (t: Tenant) => `/v1/operator/user_profiles/${t.profileId}`;
const endpoint = (t: Tenant) => `/v1/organizations/webhooks/${t.endpointId}`;
const platformKey = (t: Tenant) => t.platform.api_key;
const operatorKey = (t: Tenant) => t.operator.api_key;
const adminKey = (t: Tenant) => t.admin.api_key;
const webhooks = { 'anthropic-beta': WEBHOOKS_BETA };

/** Every API route. */
const ROUTES: BodylessCase[] = [
  { name: 'create profile', method: 'POST', path: () => '/v1/user_profiles', key: platformKey, expected: { status: 200, type: 'user_profile' } },
  { name: 'retrieve profile', method: 'GET', path: profile, key: platformKey, expected: { status: 200, type: 'user_profile' } },
  { name: 'update profile', method: 'POST', path: profile, key: platformKey, expected: { status: 200, type: 'user_profile' } },
  { name: 'list profiles', method: 'GET', path: () => '/v1/user_profiles', key: platformKey, expected: { status: 200 } },
  { name: 'delete profile', method: 'DELETE', path: profile, key: platformKey, expected: { status: 200, type: 'user_profile_deleted' } },
  { name: 'action URL', method: 'POST', path: (t) => `${profile(t)}/action_urls`, key: platformKey, expected: { status: 400, names: /action/ } },
  {
    name: 'enrollment URL', method: 'POST', path: (t) => `${profile(t)}/enrollment_url`, key: platformKey,
    headers: { 'anthropic-beta': 'user-profiles-2026-08-18' }, expected: { status: 200, type: 'enrollment_url' },
  },
  { name: 'operator review queue', method: 'GET', path: () => '/v1/operator/review_queue', key: operatorKey, expected: { status: 200 } },
  { name: 'operator profile', method: 'GET', path: operatorProfile, key: operatorKey, expected: { status: 200, type: 'operator_user_profile' } },
  { name: 'operator history', method: 'GET', path: (t) => `${operatorProfile(t)}/history`, key: operatorKey, expected: { status: 200 } },
  { name: 'operator cyber', method: 'POST', path: (t) => `${operatorProfile(t)}/programs/cyber`, key: operatorKey, expected: { status: 400, names: /^status:/ } },
  { name: 'operator efs', method: 'POST', path: (t) => `${operatorProfile(t)}/programs/efs`, key: operatorKey, expected: { status: 400, names: /^status:/ } },
  { name: 'operator open action', method: 'POST', path: (t) => `${operatorProfile(t)}/enforcement_actions`, key: operatorKey, expected: { status: 400, names: /^type:/ } },
  {
    name: 'operator resolve', method: 'POST', path: (t) => `${operatorProfile(t)}/enforcement_actions/${t.actionId}/resolve`, key: operatorKey,
    expected: { status: 200, type: 'operator_user_profile' },
  },
  {
    name: 'operator identity check', method: 'POST', path: (t) => `${operatorProfile(t)}/enforcement_actions/${t.actionId}/identity_check`,
    key: operatorKey, expected: { status: 400, names: /^result:/ },
  },
  { name: 'webhook create', method: 'POST', path: () => '/v1/organizations/webhooks', key: adminKey, headers: webhooks, expected: { status: 400, names: /^url: is required/ } },
  { name: 'webhook retrieve', method: 'GET', path: endpoint, key: adminKey, headers: webhooks, expected: { status: 200 } },
  { name: 'webhook update', method: 'POST', path: endpoint, key: adminKey, headers: webhooks, expected: { status: 200 } },
  { name: 'webhook list', method: 'GET', path: () => '/v1/organizations/webhooks', key: adminKey, headers: webhooks, expected: { status: 200 } },
  { name: 'webhook delete', method: 'DELETE', path: endpoint, key: adminKey, headers: webhooks, expected: { status: 200, type: 'webhook_endpoint_deleted' } },
  { name: 'webhook regenerate', method: 'POST', path: (t) => `${endpoint(t)}/regenerate_signing_secret`, key: adminKey, headers: webhooks, expected: { status: 200 } },
  { name: 'webhook delivery log', method: 'GET', path: (t) => `${endpoint(t)}/deliveries`, key: adminKey, headers: webhooks, expected: { status: 200 } },
  {
    // no such event: a 404 about the event shows that the (absent) body was accepted
    name: 'webhook resend', method: 'POST', path: (t) => `${endpoint(t)}/deliveries/whe_${'0'.repeat(32)}/resend`, key: adminKey,
    headers: webhooks, expected: { status: 404, names: /has no event/ },
  },
];

/** The ways a client says "no body": with the JSON content-type and a zero length, with it and no length at all, … */
const NO_BODY: [string, Record<string, string>][] = [
  ['content-type json, content-length 0', { 'content-type': 'application/json', 'content-length': '0' }],
  ['content-type json, no content-length', { 'content-type': 'application/json' }],
  ['content-type json; charset=utf-8, content-length 0', { 'content-type': 'application/json; charset=utf-8', 'content-length': '0' }],
  ['content-type json, chunked with no chunks', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }],
  ['no content-type, no content-length', {}],
];

function assertEnvelope(response: RawHttpResponse | RawResponse, status: number, what: string) {
  const json = response.json;
  const headers = response.headers instanceof Headers ? Object.fromEntries(response.headers) : response.headers;
  const text = 'body' in response ? response.body : response.text;
  assert.equal(response.status, status, `${what}: ${text}`);
  assert.equal(json?.type, 'error', `${what}: ${text}`);
  assert.match(json.request_id, REQUEST_ID, what);
  assert.equal(headers['request-id'], json.request_id, what);
}

describeEachEngine('outside clients', (server) => {
  async function tenant(): Promise<Tenant> {
    const organization = `outside-${randomUUID()}`;
    const platform = await server().newKey({ organization });
    const admin = await server().newKey({ organization, role: 'admin' });
    const operator = await server().newKey({ organization, role: 'operator' });
    const created = await call(server(), 'POST', '/v1/user_profiles', { key: platform.api_key, body: { name: 'Target' } });
    assert.equal(created.status, 200, created.text);
    const opened = await call(server(), 'POST', `/v1/operator/user_profiles/${created.json.id}/enforcement_actions`, {
      key: operator.api_key, body: { type: 'restriction', reason: 'fraud_or_abuse', clearable: true },
    });
    assert.equal(opened.status, 200, opened.text);
    const hook = await call(server(), 'POST', '/v1/organizations/webhooks', {
      key: admin.api_key, headers: webhooks, body: { url: HOOK, enabled_events: ['user_profile.created'] },
    });
    assert.equal(hook.status, 200, hook.text);
    return { platform, admin, operator, profileId: created.json.id, actionId: opened.json.opened_action_id, endpointId: hook.json.id };
  }

  describe('an empty body is no body, on every route (decisions §35)', () => {
    for (const route of ROUTES) {
      it(`${route.method} ${route.name}: every way of sending no body`, async () => {
        for (const [how, bodyHeaders] of NO_BODY) {
          const t = await tenant(); // a fresh one each time: deletes succeed once
          const chunked = bodyHeaders['transfer-encoding'] === 'chunked';
          const bytes = requestBytes(route.method, route.path(t), {
            'x-api-key': route.key(t), 'anthropic-version': '2023-06-01', connection: 'close', ...route.headers, ...bodyHeaders,
          }, chunked ? '0\r\n\r\n' : '');
          const { responses } = await exchange(server().baseURL, bytes, { expect: 1 });
          assert.equal(responses.length, 1, `${how}: one answer`);
          const [response] = responses;
          const what = `${route.name}, ${how}`;
          assert.match(response.headers['request-id'] ?? '', REQUEST_ID, what);
          if (route.expected.status === 200) {
            assert.equal(response.status, 200, `${what}: ${response.body}`);
            if (route.expected.type) assert.equal(response.json.type, route.expected.type, what);
          } else {
            assertEnvelope(response, route.expected.status, what);
            assert.match(response.json.error.message, route.expected.names, what);
          }
          assert.doesNotMatch(response.body, /body is empty/, what);
        }
      });
    }

    it('a body that is only whitespace, or is not UTF-8, is still refused (no body means zero bytes)', async () => {
      const t = await tenant();
      for (const [raw, message] of [[' ', /not valid JSON/], ['\r\n', /not valid JSON/], [Buffer.from([0xff]), /not valid UTF-8/]] as const) {
        const bytes = requestBytes('POST', profile(t), {
          'x-api-key': t.platform.api_key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(raw)), connection: 'close',
        }, raw);
        const [response] = (await exchange(server().baseURL, bytes, { expect: 1 })).responses;
        assertEnvelope(response, 400, JSON.stringify(raw));
        assert.match(response.json.error.message, message);
      }
    });
  });

  describe('invalid UTF-8 in a JSON body is refused, never stored as U+FFFD', () => {
    const invalid = [
      ['a lone continuation byte', Buffer.from([0x80])],
      ['a truncated sequence', Buffer.from([0xe2, 0x82])],
      ['an overlong encoding', Buffer.from([0xc0, 0xaf])],
      ['a UTF-16 surrogate encoded in UTF-8', Buffer.from([0xed, 0xa0, 0x80])],
      ['0xff', Buffer.from([0xff])],
    ] as const;
    const body = (bytes: Buffer) => Buffer.concat([Buffer.from('{"name":"Ann'), bytes, Buffer.from('","metadata":{"k":"v"}}')]);

    for (const [what, bytes] of invalid) {
      it(`create and update: ${what} → 400 naming UTF-8, nothing stored`, async () => {
        const t = await tenant();
        const before = await call(server(), 'GET', '/v1/user_profiles', { key: t.platform.api_key });
        for (const path of ['/v1/user_profiles', profile(t)]) {
          const response = await fetch(server().baseURL + path, {
            method: 'POST',
            headers: { 'x-api-key': t.platform.api_key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
            body: body(bytes),
          });
          const json: any = await response.json();
          assert.equal(response.status, 400, JSON.stringify(json));
          assert.equal(json.error.type, 'invalid_request_error');
          assert.match(json.error.message, /^The request body is not valid UTF-8/);
          assert.equal(response.headers.get('request-id'), json.request_id);
        }
        const after = await call(server(), 'GET', '/v1/user_profiles', { key: t.platform.api_key });
        assert.deepEqual(after.json, before.json);
      });
    }

    it('the same body with valid UTF-8 (é, 🙂, U+FFFD itself) is stored as sent', async () => {
      const t = await tenant();
      for (const name of ['Ann é', 'Ann 🙂', 'Ann \ufffd']) {
        const created = await call(server(), 'POST', '/v1/user_profiles', { key: t.platform.api_key, body: { name } });
        assert.equal(created.status, 200, created.text);
        const fetched = await call(server(), 'GET', `/v1/user_profiles/${created.json.id}`, { key: t.platform.api_key });
        assert.equal(fetched.json.name, name);
      }
    });

    it('operator and webhook bodies are checked the same way', async () => {
      const t = await tenant();
      for (const [path, key, headers] of [
        [`${operatorProfile(t)}/enforcement_actions`, t.operator.api_key, {}],
        ['/v1/organizations/webhooks', t.admin.api_key, webhooks],
      ] as const) {
        const response = await fetch(server().baseURL + path, {
          method: 'POST',
          headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', ...headers },
          body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
        });
        const json: any = await response.json();
        assert.equal(response.status, 400, JSON.stringify(json));
        assert.match(json.error.message, /not valid UTF-8/);
      }
    });
  });

  describe('JSON keys are data: __proto__, constructor and prototype are metadata keys (decisions §13)', () => {
    const PROTO_KEYS = '{"__proto__":"x","constructor":"y","prototype":"z"}';

    for (const [label, beta] of DIALECTS) {
      it(`${label}: stored and returned by create, retrieve, list; merged by update; removed with ""`, async () => {
        const t = await tenant();
        const headers: Record<string, string> = beta ? { 'anthropic-beta': beta } : {};
        const send = (method: string, path: string, rawBody?: string) => call(server(), method, path, { key: t.platform.api_key, headers, rawBody });
        const created = await send('POST', '/v1/user_profiles', `{"metadata":${PROTO_KEYS}}`);
        assert.equal(created.status, 200, created.text);
        // the raw text, not a parsed object: JSON.parse would hide a missing own key behind Object.prototype
        assert.match(created.text, /"metadata":\{"__proto__":"x","constructor":"y","prototype":"z"\}/);
        const id = created.json.id;
        const retrieved = await send('GET', `/v1/user_profiles/${id}`);
        assert.match(retrieved.text, /"metadata":\{"__proto__":"x","constructor":"y","prototype":"z"\}/);
        const listed = await send('GET', '/v1/user_profiles');
        assert.match(listed.text, /"metadata":\{"__proto__":"x","constructor":"y","prototype":"z"\}/);

        const merged = await send('POST', `/v1/user_profiles/${id}`, '{"metadata":{"__proto__":"x2","other":"o"}}');
        assert.equal(merged.status, 200, merged.text);
        assert.match(merged.text, /"metadata":\{"__proto__":"x2","constructor":"y","prototype":"z","other":"o"\}/);
        const removed = await send('POST', `/v1/user_profiles/${id}`, '{"metadata":{"__proto__":"","constructor":""}}');
        assert.equal(removed.status, 200, removed.text);
        assert.match(removed.text, /"metadata":\{"prototype":"z","other":"o"\}/);
        assert.match((await send('GET', `/v1/user_profiles/${id}`)).text, /"metadata":\{"prototype":"z","other":"o"\}/);
        // and a key added back by an update, on a profile that did not have it
        const again = await send('POST', `/v1/user_profiles/${id}`, '{"metadata":{"__proto__":"back"}}');
        assert.match(again.text, /"metadata":\{"prototype":"z","other":"o","__proto__":"back"\}/);

        // nothing anywhere was polluted
        const probe: Record<string, unknown> = {};
        assert.equal(probe.x, undefined);
        assert.equal(Object.getPrototypeOf(probe), Object.prototype);
        assert.equal(typeof ({} as { constructor: unknown }).constructor, 'function');
      });
    }

    it('an empty object under __proto__, or a key that is only "__proto__", is not a way around the metadata rules', async () => {
      const t = await tenant();
      const refused = await call(server(), 'POST', '/v1/user_profiles', { key: t.platform.api_key, rawBody: '{"metadata":{"__proto__":{}}}' });
      assertEnvelope(refused, 400, 'object value');
      assert.match(refused.json.error.message, /metadata\.__proto__: expected a string/);
      const empty = await call(server(), 'POST', '/v1/user_profiles', { key: t.platform.api_key, rawBody: '{"metadata":{"__proto__":""}}' });
      assertEnvelope(empty, 400, 'empty value on create');
      const seventeen = `{"metadata":{"__proto__":"p",${Array.from({ length: 16 }, (_, i) => `"k${i}":"v"`).join(',')}}}`;
      const tooMany = await call(server(), 'POST', '/v1/user_profiles', { key: t.platform.api_key, rawBody: seventeen });
      assertEnvelope(tooMany, 400, '17 keys');
      assert.match(tooMany.json.error.message, /at most 16 keys/);
    });
  });

  describe('a scalar query parameter in array form is a 400 naming it (decisions §37)', () => {
    /** the array forms of `name=value`: PHP's `name[]=`, indexed `name[0]=`, and the name twice */
    const arrayForms = (name: string, value: string) => [
      `${name}[]=${value}`,
      `${name}%5B%5D=${value}`,
      `${name}[0]=${value}`,
      `${name}=${value}&${name}=${value}`,
    ];

    async function assertRefusesArrays(send: (query: string) => Promise<RawResponse>, name: string, value: string) {
      const plain = await send(`${name}=${value}`);
      assert.ok(plain.status === 200 || plain.status === 303, `${name}=${value} alone is accepted: ${plain.status} ${plain.text.slice(0, 200)}`);
      for (const query of arrayForms(name, value)) {
        const response = await send(query);
        assert.equal(response.status, 400, `${query}: ${response.text.slice(0, 300)}`);
        if (response.json) {
          assertEnvelope(response, 400, query);
          assert.match(response.json.error.message, new RegExp(`^${name.replace(/[[\]]/g, '\\$&')}: give this query parameter once`), query);
        } else {
          assert.match(response.text, new RegExp(`${name}: give this query parameter once`), query);
        }
      }
    }

    it('GET /v1/user_profiles: limit, page, order, order_by', async () => {
      const t = await tenant();
      await call(server(), 'POST', '/v1/user_profiles', { key: t.platform.api_key, body: { name: 'Second' } });
      const send = (query: string) => call(server(), 'GET', `/v1/user_profiles?${query}`, { key: t.platform.api_key });
      const first = await send('limit=1');
      assert.ok(first.json.next_page, 'two profiles, one per page');
      await assertRefusesArrays(send, 'limit', '1');
      await assertRefusesArrays((q) => send(`limit=1&${q}`), 'page', encodeURIComponent(first.json.next_page));
      await assertRefusesArrays(send, 'order', 'asc');
      await assertRefusesArrays(send, 'order_by', 'name');
    });

    it('GET /v1/user_profiles: the PHP SDK loop — page two re-sent as limit[]=1 is refused, not answered with page one', async () => {
      const t = await tenant();
      await call(server(), 'POST', '/v1/user_profiles', { key: t.platform.api_key, body: { name: 'Second' } });
      const first = await call(server(), 'GET', '/v1/user_profiles?limit=1', { key: t.platform.api_key });
      const second = await call(server(), 'GET', `/v1/user_profiles?limit[]=1&page[]=${encodeURIComponent(first.json.next_page)}`, { key: t.platform.api_key });
      assertEnvelope(second, 400, 'page two in array form');
    });

    it('GET /v1/user_profiles: enforcement_status is a list, in every form', async () => {
      const t = await tenant();
      const send = (query: string) => call(server(), 'GET', `/v1/user_profiles?${query}`, { key: t.platform.api_key });
      const ids = async (query: string) => {
        const response = await send(query);
        assert.equal(response.status, 200, `${query}: ${response.text}`);
        return response.json.data.map((p: { id: string }) => p.id);
      };
      const restricted = await ids('enforcement_status=restricted');
      assert.deepEqual(restricted, [t.profileId]);
      for (const query of [
        'enforcement_status[]=restricted', 'enforcement_status[0]=restricted', 'enforcement_status=restricted&enforcement_status=banned',
        'enforcement_status[]=restricted&enforcement_status[]=banned', 'enforcement_status=restricted,banned',
      ]) {
        assert.deepEqual(await ids(query), restricted, query);
      }
      assert.deepEqual(await ids('enforcement_status[]=banned'), []);
    });

    it('unknown query parameters are ignored, as before (beta=true among them, decisions §5)', async () => {
      const t = await tenant();
      for (const query of ['beta=true', 'beta=true&beta=true', 'unknown=1', 'unknown[]=1&unknown[]=2']) {
        const response = await call(server(), 'GET', `/v1/user_profiles?${query}`, { key: t.platform.api_key });
        assert.equal(response.status, 200, `${query}: ${response.text}`);
      }
    });

    it('GET /v1/organizations/webhooks: limit, order, after_id, before_id', async () => {
      const t = await tenant();
      const send = (query: string) => call(server(), 'GET', `/v1/organizations/webhooks?${query}`, { key: t.admin.api_key, headers: webhooks });
      await assertRefusesArrays(send, 'limit', '1');
      await assertRefusesArrays(send, 'order', 'asc');
      await assertRefusesArrays(send, 'after_id', t.endpointId);
      await assertRefusesArrays(send, 'before_id', t.endpointId);
    });

    it('GET /v1/organizations/webhooks/{id}/deliveries: limit', async () => {
      const t = await tenant();
      const send = (query: string) => call(server(), 'GET', `${endpoint(t)}/deliveries?${query}`, { key: t.admin.api_key, headers: webhooks });
      await assertRefusesArrays(send, 'limit', '5');
    });

    it('console pages: /console/profiles (id, limit, page, name_prefix, reference_id), /console/profiles/{id} (saved), /console/webhooks/{id} (limit, saved)', async () => {
      const org = await newConsoleOrg(server());
      const client = await signedIn(server(), org);
      const hook = await call(server(), 'POST', '/v1/organizations/webhooks', {
        key: org.platform.api_key, headers: webhooks, body: { url: HOOK, enabled_events: ['user_profile.created'] },
      });
      for (const name of ['One', 'Two']) await call(server(), 'POST', '/v1/user_profiles', { key: org.platform.api_key, body: { name } });
      const page = (path: string) => async (query: string): Promise<RawResponse> => {
        const r = await client.get(`${path}?${query}`);
        return { status: r.status, headers: r.headers, text: r.html, json: undefined };
      };
      const firstPage = await client.get('/console/profiles?limit=1');
      const next = /href="\/console\/profiles\?[^"]*page=([^&"]+)/.exec(firstPage.html)?.[1];
      assert.ok(next, 'a next-page link');
      const someProfile = /href="\/console\/profiles\/(uprof_[^"]+)"/.exec(firstPage.html)?.[1];
      assert.ok(someProfile);
      await assertRefusesArrays(page('/console/profiles'), 'limit', '1');
      await assertRefusesArrays(page('/console/profiles'), 'page', decodeURIComponent(next));
      await assertRefusesArrays(page('/console/profiles'), 'name_prefix', 'On');
      await assertRefusesArrays(page('/console/profiles'), 'reference_id', 'user_1');
      await assertRefusesArrays(page('/console/profiles'), 'id', someProfile);
      await assertRefusesArrays(page(`/console/profiles/${someProfile}`), 'saved', 'cyber');
      await assertRefusesArrays(page(`/console/webhooks/${hook.json.id}`), 'limit', '5');
      await assertRefusesArrays(page(`/console/webhooks/${hook.json.id}`), 'saved', 'resent');
    });

    it('portal: enrollment_token and done', async () => {
      const t = await tenant();
      const link = await call(server(), 'POST', `${profile(t)}/action_urls`, { key: t.platform.api_key, body: { action: { type: 'enroll_end_user' } } });
      const token = new URL(link.json.url).searchParams.get('enrollment_token')!;
      const page = async (query: string): Promise<RawResponse> => {
        const r = await fetch(`${server().baseURL}/portal/enroll?${query}`, { redirect: 'manual' });
        return { status: r.status, headers: r.headers, text: await r.text(), json: undefined };
      };
      await assertRefusesArrays(page, 'enrollment_token', token);
      await assertRefusesArrays((q) => page(`enrollment_token=${token}&${q}`), 'done', 'cyber');
    });
  });
});
