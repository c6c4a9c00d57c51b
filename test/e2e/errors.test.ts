import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MintedKey } from '../../src/keys.ts';
import { call, type RawResponse, type TestServer } from '../support/server.ts';
import { describeEachEngine } from '../support/suite.ts';

/**
 * Raw HTTP at the edges: request ids, Anthropic's error envelope, body parsing and its limits, beta
 * values (decisions §1–5, §7), and a loop of odd inputs that must never produce a 5xx or leak internals.
 */

const MIB = 1024 * 1024;
const REQUEST_ID = /^req_01[0-9A-Za-z]{22}$/;
const BETA = 'user-profiles-2026-08-18';

interface Route {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  path(id: string): string;
  takesBody: boolean;
  /** a body this route accepts */
  body?: unknown;
  /** headers the route needs to exist at all */
  headers?: Record<string, string>;
  /** the `type` of its 200 body (list answers have none) */
  type?: string;
}

const routes: Route[] = [
  { name: 'create', method: 'POST', path: () => '/v1/user_profiles', takesBody: true, body: { name: 'Ann' }, type: 'user_profile' },
  { name: 'retrieve', method: 'GET', path: (id) => `/v1/user_profiles/${id}`, takesBody: false, type: 'user_profile' },
  { name: 'update', method: 'POST', path: (id) => `/v1/user_profiles/${id}`, takesBody: true, body: { name: 'Bob' }, type: 'user_profile' },
  { name: 'list', method: 'GET', path: () => '/v1/user_profiles', takesBody: false },
  { name: 'delete', method: 'DELETE', path: (id) => `/v1/user_profiles/${id}`, takesBody: false, type: 'user_profile_deleted' },
  {
    name: 'action URL', method: 'POST', path: (id) => `/v1/user_profiles/${id}/action_urls`, takesBody: true,
    body: { action: { type: 'enroll_end_user' } }, type: 'user_profile_action_url',
  },
  {
    name: 'enrollment URL', method: 'POST', path: (id) => `/v1/user_profiles/${id}/enrollment_url`, takesBody: true,
    headers: { 'anthropic-beta': BETA }, type: 'enrollment_url',
  },
];
const postRoutes = routes.filter((r) => r.takesBody);
/** names every plain object inherits: a lookup table keyed by user input must not find them */
const PROTOTYPE_NAMES = ['toString', 'valueOf', 'hasOwnProperty', 'constructor', 'isPrototypeOf', 'propertyIsEnumerable',
  'toLocaleString', '__defineGetter__', '__lookupSetter__'];

/** Asserts Anthropic's error envelope, with the `request-id` header equal to the body's `request_id`. */
function assertError(response: RawResponse, status: number, type: string) {
  assert.equal(response.status, status, response.text);
  assert.deepEqual(Object.keys(response.json ?? {}).sort(), ['error', 'request_id', 'type'], response.text);
  assert.equal(response.json.type, 'error');
  assert.equal(response.json.error.type, type, response.text);
  assert.equal(typeof response.json.error.message, 'string');
  assert.ok(response.json.error.message.length > 0);
  assert.match(response.json.request_id, REQUEST_ID);
  assert.equal(response.headers.get('request-id'), response.json.request_id);
  assertNoLeak(response);
}

/** No stack frames, source paths or module names in anything the server says. */
function assertNoLeak(response: RawResponse) {
  for (const pattern of [/\bat \S+ \(/, /\bat .*:\d+:\d+/, /\.[cm]?[jt]s:\d+/, /node_modules/, /\/work\//, /\/src\//, /file:\/\//, /\bstack\b/i]) {
    assert.doesNotMatch(response.text, pattern, `leaks internals: ${response.text.slice(0, 500)}`);
  }
}

/** Plain fetch with nothing added, for bodies `call()` cannot express (bytes, streams, odd content types). */
async function fetchRaw(server: TestServer, method: string, path: string, headers: Record<string, string>, body?: string | Uint8Array | ReadableStream) {
  const response = await fetch(server.baseURL + path, {
    method,
    headers,
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json } satisfies RawResponse;
}

/** A JSON object body of exactly `bytes` bytes: `{"pad":"xxx…"}`, refused by every route as an unknown field. */
function paddedBody(bytes: number): string {
  const shell = '{"pad":""}';
  return `{"pad":"${'x'.repeat(bytes - shell.length)}"}`;
}

describeEachEngine('errors', (server) => {
  async function profileOf(key: MintedKey, name = 'Target'): Promise<string> {
    const created = await call(server(), 'POST', '/v1/user_profiles', { key: key.api_key, body: { name } });
    assert.equal(created.status, 200, created.text);
    return created.json.id;
  }

  /** The raw rows a request could touch, to prove a refusal changed nothing. */
  async function databaseState() {
    return {
      profiles: await server().store.sql.all('SELECT * FROM user_profiles ORDER BY organization_id, id'),
      tokens: await server().store.sql.all('SELECT token_hash FROM url_tokens ORDER BY token_hash'),
    };
  }

  /** A route's request with its usual headers and body; `extra` overrides. */
  function send(route: Route, id: string, key: MintedKey, extra: { path?: string; headers?: Record<string, string | null>; rawBody?: string } = {}) {
    return call(server(), route.method, extra.path ?? route.path(id), {
      key: key.api_key,
      body: extra.rawBody === undefined ? route.body : undefined,
      rawBody: extra.rawBody,
      headers: { ...route.headers, ...extra.headers },
    });
  }

  describe('request ids', () => {
    it('every response (200, 400, 401, 403, 404, 413) carries request-id: req_…, equal to request_id in errors', async () => {
      const key = await server().newKey();
      const bound = await server().newKey({ workspace: 'bound' });
      const ok = await call(server(), 'GET', '/v1/user_profiles', { key: key.api_key });
      assert.equal(ok.status, 200);
      assert.match(ok.headers.get('request-id') ?? '', REQUEST_ID);
      const errors: [RawResponse, number, string][] = [
        [await call(server(), 'GET', '/v1/user_profiles?limit=abc', { key: key.api_key }), 400, 'invalid_request_error'],
        [await call(server(), 'GET', '/v1/user_profiles'), 401, 'authentication_error'],
        [await call(server(), 'GET', '/v1/user_profiles', { key: bound.api_key, headers: { 'anthropic-workspace-id': key.workspace_id } }), 403, 'permission_error'],
        [await call(server(), 'GET', '/v1/user_profiles/uprof_x', { key: key.api_key }), 404, 'not_found_error'],
        [await call(server(), 'GET', '/v1/nowhere'), 404, 'not_found_error'],
        [await call(server(), 'POST', '/v1/user_profiles', { key: key.api_key, rawBody: paddedBody(MIB + 1) }), 413, 'request_too_large'],
      ];
      for (const [response, status, type] of errors) assertError(response, status, type);
      const ids = [ok, ...errors.map(([r]) => r)].map((r) => r.headers.get('request-id'));
      assert.equal(new Set(ids).size, ids.length, 'request ids are unique');
    });

    it('ignores a request-id sent by the client', async () => {
      const response = await call(server(), 'GET', '/v1/nowhere', { headers: { 'request-id': 'req_chosen_by_client' } });
      assertError(response, 404, 'not_found_error');
      assert.notEqual(response.json.request_id, 'req_chosen_by_client');
    });
  });

  describe('bodies', () => {
    for (const route of postRoutes) {
      it(`${route.name}: malformed JSON → 400 invalid_request_error, nothing changed`, async () => {
        const key = await server().newKey();
        const id = await profileOf(key);
        const before = await databaseState();
        for (const rawBody of ['{"name":', '{name:"a"}', "{'name':'a'}", '{"name":"a",}', 'NaN', '{"name":"a"} trailing', '\u00ff']) {
          assertError(await send(route, id, key, { rawBody }), 400, 'invalid_request_error');
        }
        assert.deepEqual(await databaseState(), before);
      });

      it(`${route.name}: a body that is an array, a string, a number or a boolean → 400`, async () => {
        const key = await server().newKey();
        const id = await profileOf(key);
        const before = await databaseState();
        for (const rawBody of ['[]', JSON.stringify([route.body ?? {}]), '"a string"', '42', 'true']) {
          assertError(await send(route, id, key, { rawBody }), 400, 'invalid_request_error');
        }
        assert.deepEqual(await databaseState(), before);
      });

      it(`${route.name}: over 1 MiB → 413 request_too_large; exactly 1 MiB but invalid → 400, not 413`, async () => {
        const key = await server().newKey();
        const id = await profileOf(key);
        const before = await databaseState();
        assertError(await send(route, id, key, { rawBody: paddedBody(MIB + 1) }), 413, 'request_too_large');
        assertError(await send(route, id, key, { rawBody: paddedBody(4 * MIB) }), 413, 'request_too_large');
        for (const size of [MIB, MIB - 1]) {
          const response = await send(route, id, key, { rawBody: paddedBody(size) });
          assertError(response, 400, 'invalid_request_error');
          assert.match(response.json.error.message, /pad/);
        }
        assert.deepEqual(await databaseState(), before);
      });

      it(`${route.name}: a wrong content-type → 400, nothing changed`, async () => {
        const key = await server().newKey();
        const id = await profileOf(key);
        const before = await databaseState();
        for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
          const response = await send(route, id, key, { rawBody: JSON.stringify(route.body ?? {}), headers: { 'content-type': contentType } });
          assertError(response, 400, 'invalid_request_error');
        }
        assert.deepEqual(await databaseState(), before);
      });

      it(`${route.name}: __proto__ and constructor.prototype where no such field exists → 400 naming it, never 500, nothing polluted`, async () => {
        const key = await server().newKey();
        const id = await profileOf(key);
        const before = await databaseState();
        // valid JSON whose keys are data: refused as unknown fields (or a metadata value that is not a string), never "not valid JSON"
        for (const [rawBody, named] of [
          ['{"__proto__":{"polluted":"yes"}}', /__proto__/],
          ['{"metadata":{"__proto__":{"polluted":"yes"}}}', route.type === 'user_profile' ? /metadata\.__proto__/ : /metadata/],
          ['{"constructor":{"prototype":{"polluted":"yes"}}}', /constructor/],
          ['{"action":{"type":"enroll_end_user","__proto__":{"polluted":"yes"}}}', route.name === 'action URL' ? /action\.__proto__/ : /action/],
        ] as const) {
          const response = await send(route, id, key, { rawBody });
          assertError(response, 400, 'invalid_request_error');
          assert.match(response.json.error.message, named);
          assert.doesNotMatch(response.json.error.message, /not valid JSON/);
        }
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
        assert.deepEqual(await databaseState(), before);
      });

      it(`${route.name}: body fields named like Object.prototype members are unknown fields → 400`, async () => {
        const key = await server().newKey();
        const id = await profileOf(key);
        const before = await databaseState();
        const answers: Record<string, string> = {};
        const expected: Record<string, string> = {};
        for (const field of PROTOTYPE_NAMES) {
          const response = await send(route, id, key, { rawBody: JSON.stringify({ ...(route.body ?? {}), [field]: 'x' }) });
          const named = typeof response.json?.error?.message === 'string' && response.json.error.message.includes(field);
          answers[field] = `${response.status} ${response.json?.error?.type ?? response.json?.type} ${named ? 'names it' : 'does not name it'}`;
          expected[field] = '400 invalid_request_error names it';
        }
        assert.deepEqual(answers, expected);
        assert.deepEqual(await databaseState(), before);
      });
    }

    it('metadata keys named like Object.prototype members are ordinary keys', async () => {
      const key = await server().newKey();
      const metadata = Object.fromEntries(PROTOTYPE_NAMES.map((name) => [name, `value of ${name}`]));
      const created = await call(server(), 'POST', '/v1/user_profiles', { key: key.api_key, rawBody: JSON.stringify({ metadata }) });
      assert.equal(created.status, 200, created.text);
      assert.deepEqual(created.json.metadata, metadata);
      const updated = await call(server(), 'POST', `/v1/user_profiles/${created.json.id}`, { key: key.api_key, body: { metadata: { toString: '', valueOf: 'changed' } } });
      assert.equal(updated.status, 200, updated.text);
      const { toString: _removed, ...rest } = metadata;
      assert.deepEqual(updated.json.metadata, { ...rest, valueOf: 'changed' });
    });

    it('a body over 1 MiB sent chunked (no content-length) → 413 too', async () => {
      const key = await server().newKey();
      const before = await databaseState();
      const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent === 0) controller.enqueue(new TextEncoder().encode('{"name":"'));
          if (sent > MIB + 64 * 1024) {
            controller.enqueue(new TextEncoder().encode('"}'));
            controller.close();
            return;
          }
          sent += chunk.length;
          controller.enqueue(chunk);
        },
      });
      const response = await fetchRaw(server(), 'POST', '/v1/user_profiles',
        { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, stream);
      assertError(response, 413, 'request_too_large');
      assert.deepEqual(await databaseState(), before);
    });
  });

  describe('routes and queries', () => {
    it('an unknown route → 404 not_found_error, with or without a key', async () => {
      const key = await server().newKey();
      const id = await profileOf(key);
      const unknown: [string, string][] = [
        ['GET', '/'], ['GET', '/v1'], ['GET', '/v1/nope'], ['GET', '/v2/user_profiles'], ['GET', '/v1/user_profile'],
        ['POST', `/v1/user_profiles/${id}/nope`], ['PUT', `/v1/user_profiles/${id}`], ['PATCH', `/v1/user_profiles/${id}`],
        ['DELETE', '/v1/user_profiles'], ['GET', `/v1/user_profiles/${id}/action_urls`], ['GET', `/v1/user_profiles/${id}/extra/segments`],
      ];
      for (const [method, path] of unknown) {
        assertError(await call(server(), method, path), 404, 'not_found_error');
        assertError(await call(server(), method, path, { key: key.api_key }), 404, 'not_found_error');
      }
    });

    it('limit=abc → 400 (not 500); limit is checked on both sides of 1..100', async () => {
      const key = await server().newKey();
      for (const limit of ['abc', '0', '101', '-1', '1.5', '1e2', '', ' 5', '0x10', '99999999999999999999']) {
        const response = await call(server(), 'GET', `/v1/user_profiles?limit=${encodeURIComponent(limit)}`, { key: key.api_key });
        assertError(response, 400, 'invalid_request_error');
        assert.match(response.json.error.message, /limit/);
      }
      for (const limit of ['1', '100']) {
        assert.equal((await call(server(), 'GET', `/v1/user_profiles?limit=${limit}`, { key: key.api_key })).status, 200);
      }
    });

    for (const route of routes) {
      it(`${route.name}: ?beta=true is accepted and ignored`, async () => {
        const key = await server().newKey();
        const id = await profileOf(key);
        const plain = await send(route, id, key, { path: `${route.path(id)}?beta=true` });
        assert.equal(plain.status, 200, plain.text);
        if (route.type) assert.equal(plain.json.type, route.type);
        else assert.deepEqual(plain.json.data.map((p: { id: string }) => p.id), [id]);
        if (route.name === 'list') {
          const more = await send(route, id, key, { path: `${route.path(id)}?beta=true&limit=1&order=asc` });
          assert.equal(more.status, 200, more.text);
          assert.equal(more.json.data.length, 1);
        }
      });

      it(`${route.name}: an unknown user-profiles-* beta value → 400 naming it, nothing changed`, async () => {
        const key = await server().newKey();
        const id = await profileOf(key);
        const before = await databaseState();
        for (const beta of ['user-profiles-2099-01-01', `${BETA}, user-profiles-2099-01-01`, 'message-batches-2024-09-24,user-profiles-2099-01-01']) {
          const response = await send(route, id, key, { headers: { 'anthropic-beta': beta } });
          assertError(response, 400, 'invalid_request_error');
          assert.match(response.json.error.message, /user-profiles-2099-01-01/);
          assert.equal(response.headers.get('anthropic-workspace-id'), key.workspace_id);
        }
        assert.deepEqual(await databaseState(), before);
      });

      it(`${route.name}: unrelated betas such as message-batches-2024-09-24 are ignored`, async () => {
        const key = await server().newKey();
        if (route.name === 'enrollment URL') {
          // the route exists only on the beta surface: an unrelated beta alone leaves it absent (decisions §3)
          const id = await profileOf(key);
          assertError(await send(route, id, key, { headers: { 'anthropic-beta': 'message-batches-2024-09-24' } }), 404, 'not_found_error');
        }
        const shapes: [string | null, 'ga' | 'beta'][] = [
          ['message-batches-2024-09-24', 'ga'],
          ['message-batches-2024-09-24, prompt-caching-2024-07-31', 'ga'],
          [`message-batches-2024-09-24, ${BETA}`, 'beta'],
          [` ${BETA} ,message-batches-2024-09-24 `, 'beta'],
        ];
        for (const [beta, surface] of shapes) {
          if (route.name === 'enrollment URL' && surface === 'ga') continue;
          const id = await profileOf(key);
          const response = await send(route, id, key, { headers: { 'anthropic-beta': beta } });
          assert.equal(response.status, 200, `${beta}: ${response.text}`);
          const profile = route.type === 'user_profile' ? response.json : route.name === 'list' ? response.json.data[0] : null;
          if (profile) {
            assert.equal('programs' in profile, surface === 'ga', `${beta}: ${response.text}`);
            assert.equal('trust_grants' in profile, surface === 'beta', `${beta}: ${response.text}`);
          }
        }
      });
    }
  });

  describe('odd inputs never produce a 5xx', () => {
    const oddBodies: (string | Uint8Array)[] = [
      '', ' ', 'null', '0', '-0', '1e999', '"\\ud800"', '{}', '{"":""}', '[[[[[[[[[[]]]]]]]]]]', '['.repeat(5000) + ']'.repeat(5000),
      '{"a":'.repeat(2000) + '1' + '}'.repeat(2000), '{"name":null}', '{"name":123}', '{"name":{}}', '{"name":[]}', '{"name":true}',
      '{"name":"\\u0000"}', '{"name":"\\ud800"}', '{"name":"\\udfff\\ud800"}', '{"name":"a","name":"b"}', `{"name":"${'é'.repeat(300)}"}`,
      '{"metadata":null}', '{"metadata":[]}', '{"metadata":"x"}', '{"metadata":{"":"x"}}', '{"metadata":{"a":1}}', '{"metadata":{"a":null}}',
      '{"metadata":{"a":{"b":"c"}}}', `{"metadata":{${Array.from({ length: 200 }, (_, i) => `"k${i}":"v"`).join(',')}}}`,
      '{"access_type":"x"}', '{"access_type":null}', '{"relationship":"resold"}', '{"external_id":12}', '{"external_id":null}',
      '{"external_user_onboarded_at":"not a date"}', '{"external_user_onboarded_at":"9999-99-99T99:99:99Z"}',
      '{"external_user_onboarded_at":1e308}', '{"external_user_onboarded_at":"+275760-09-13T00:00:00Z"}',
      '{"external_user_details":{"reference_id":{}}}', '{"external_user_details":[]}', '{"programs":{"cyber":{"status":"approved"}}}',
      '{"action":null}', '{"action":"enroll_end_user"}', '{"action":{"type":null}}', '{"action":{"type":"enroll_end_user","x":1}}',
      '{"action":{"type":"toString"}}', '{"toString":"x"}', '{"hasOwnProperty":1}', '{"valueOf":{}}',
      '\ufeff{"name":"bom"}', new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), new Uint8Array([0, 0, 0, 0]),
    ];
    const oddQueries = [
      '?limit=abc', '?limit=1&limit=2', '?limit[]=1', '?limit=%00', '?order=sideways', '?order=', '?order_by=id', '?order_by=name&order=asc',
      '?page=garbage', '?page=', '?page[]=x', `?page=${'A'.repeat(4000)}`, '?page=%FF%FE', '?beta=false', '?beta', '?beta=true&beta=true',
      '?%', '?a=%zz', '?enforcement_status=bogus', '?enforcement_status[]=', '?__proto__[polluted]=yes', '?constructor=x&toString=y',
      `?${'x=1&'.repeat(500)}`,
    ];
    const oddHeaders: Record<string, string | null>[] = [
      { 'anthropic-version': '' }, { 'anthropic-version': ' 2023-06-01 ' }, { 'anthropic-version': '2023-06-01,2026-10-21' },
      { 'anthropic-version': 'toString' }, { 'anthropic-beta': '' }, { 'anthropic-beta': ',,,' }, { 'anthropic-beta': 'user-profiles-' },
      { 'anthropic-beta': 'user-profiles-2026-03-24,user-profiles-2026-09-04' }, { 'anthropic-beta': 'x'.repeat(8000) },
      { 'anthropic-workspace-id': '' }, { 'anthropic-workspace-id': 'wrkspc_x' }, { 'anthropic-workspace-id': 'toString' },
      { 'anthropic-workspace-id': `wrkspc_01${'A'.repeat(22)}` }, { 'anthropic-workspace-id': "' OR 1=1 --" },
      { 'x-api-key': null, authorization: 'Bearer' }, { 'x-api-key': null, authorization: 'Basic dXNlcjpwYXNz' },
      { 'x-api-key': null, authorization: 'Bearer a b c' }, { 'x-api-key': "' OR 1=1 --" }, { 'x-api-key': 'x'.repeat(8000) },
      { 'content-type': 'application/json; charset=latin1' }, { 'content-type': 'application/json; charset=utf-16' },
      { 'content-type': 'application/vnd.api+json' }, { 'content-type': 'application/json, text/plain' }, { 'content-type': '' },
      { 'accept-encoding': 'br, gzip, deflate, zstd' }, { accept: 'text/html' },
    ];
    /** ids that decode to text no id can be: not found (decisions §22) */
    const oddIds = ['%00', encodeURIComponent('uprof_01🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂'), `uprof_01${'A'.repeat(200)}`,
      'uprof_01' + 'A'.repeat(22) + '%00', '%2e%2e', encodeURIComponent("' OR 1=1 --"), 'toString', '__proto__', 'constructor'];
    /** path segments that do not even decode (bad percent-encoding): a refusal in the envelope, 400 or 404 */
    const undecodableIds = ['%FF', '%E2%82', '%', '%zz'];

    /** Every way an answer falls short: a 5xx, no request id, an error outside the envelope, a leak. */
    function problemsWith(response: RawResponse, what: string): string[] {
      const problems: string[] = [];
      const summary = `${what} → ${response.status} ${response.text.slice(0, 160)}`;
      if (response.status >= 500) problems.push(`5xx: ${summary}`);
      if (!REQUEST_ID.test(response.headers.get('request-id') ?? '')) problems.push(`no request-id: ${summary}`);
      if (response.status >= 400 && (response.json?.type !== 'error' || response.json.request_id !== response.headers.get('request-id'))) {
        problems.push(`not an error envelope: ${summary}`);
      }
      try {
        assertNoLeak(response);
      } catch {
        problems.push(`leaks internals: ${summary}`);
      }
      return problems;
    }

    for (const route of routes) {
      it(`${route.name}: odd bodies, queries, headers and ids`, async () => {
        const key = await server().newKey();
        const problems: string[] = [];
        const check = (response: RawResponse, what: string) => problems.push(...problemsWith(response, what));
        const base = { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01', ...route.headers };
        let id = await profileOf(key);
        // deletes succeed once, so give each request a live profile where it matters
        const target = async () => (route.name === 'delete' ? profileOf(key) : id);

        if (route.takesBody || route.method === 'DELETE') {
          for (const body of oddBodies) {
            const response = await fetchRaw(server(), route.method, route.path(await target()), { ...base, 'content-type': 'application/json' }, body);
            check(response, `body ${String(body).slice(0, 60)}`);
          }
        }
        for (const query of oddQueries) {
          const response = await send(route, id, key, { path: route.path(await target()) + query });
          check(response, `query ${query.slice(0, 60)}`);
        }
        for (const headers of oddHeaders) {
          const response = await send(route, await target(), key, { headers });
          check(response, `headers ${JSON.stringify(headers).slice(0, 80)}`);
        }
        if (route.path('ID') !== route.path('')) {
          for (const odd of oddIds) {
            const response = await fetchRaw(server(), route.method, route.path(odd), route.takesBody
              ? { ...base, 'content-type': 'application/json' } : base, route.takesBody ? JSON.stringify(route.body ?? {}) : undefined);
            check(response, `id ${odd.slice(0, 60)}`);
            // decisions §22: an id we could never have minted is simply not found
            if (response.status !== 404) problems.push(`id ${odd.slice(0, 60)} → ${response.status}, expected 404`);
          }
          for (const odd of undecodableIds) {
            const response = await fetchRaw(server(), route.method, route.path(odd), base);
            check(response, `id ${odd}`);
            if (response.status !== 400 && response.status !== 404) problems.push(`id ${odd} → ${response.status}, expected 400 or 404`);
          }
        }
        for (const method of ['HEAD', 'OPTIONS', 'PUT', 'PATCH']) {
          const response = await fetchRaw(server(), method, route.path(id), base);
          if (response.status >= 500) problems.push(`${method} → ${response.status}`);
        }
        assert.deepEqual(problems, [], `${problems.length} problems on ${route.name}`);
        // the server is still well after all that
        id = await profileOf(key, 'Still standing');
        assert.equal((await call(server(), 'GET', `/v1/user_profiles/${id}`, { key: key.api_key })).json.name, 'Still standing');
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      });
    }
  });
});
