import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { describeEachEngine } from '../support/suite.ts';
import { call, type RawResponse, type TestServer } from '../support/server.ts';
import { IDEMPOTENCY_TTL_MS } from '../../src/http/idempotency.ts';

/** Issue 15: Idempotency-Key on every POST of the platform, webhooks and operator APIs (decisions §51). */

const LEASE_MS = 5_000;
const WEBHOOKS_BETA = 'webhooks-2026-10-07';

const newKey = () => `idem-${randomUUID()}`;

async function profileCount(server: TestServer, apiKey: string): Promise<number> {
  const page = await call(server, 'GET', '/v1/user_profiles?limit=100', { key: apiKey });
  assert.equal(page.status, 200, page.text);
  return page.json.data.length;
}

function assertReplayOf(replay: RawResponse, first: RawResponse): void {
  assert.equal(replay.status, first.status);
  assert.equal(replay.text, first.text, 'the same bytes');
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.equal(replay.headers.get('content-type'), first.headers.get('content-type'));
  assert.equal(replay.headers.get('anthropic-workspace-id'), first.headers.get('anthropic-workspace-id'));
  assert.match(replay.headers.get('request-id') ?? '', /^req_/);
  assert.notEqual(replay.headers.get('request-id'), first.headers.get('request-id'), 'a fresh request-id');
  assert.equal(replay.headers.get('original-request-id'), first.headers.get('request-id'));
}

describeEachEngine('Idempotency-Key', (server) => {
  it('runs the first request once; a repeat gets its answer byte for byte, replayed, and creates nothing', async () => {
    const { api_key } = await server().newKey();
    const key = newKey();
    const body = { name: 'Acme GmbH', metadata: { plan: 'pro' } };
    const first = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body, headers: { 'Idempotency-Key': key } });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.headers.get('idempotent-replayed'), null, 'the first answer is not a replay');
    for (let i = 0; i < 3; i++) {
      const again = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body, headers: { 'Idempotency-Key': key } });
      assertReplayOf(again, first);
    }
    assert.equal(await profileCount(server(), api_key), 1);
    // without a key, the same request runs again (a key is what makes a retry safe)
    const unkeyed = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body });
    assert.equal(unkeyed.status, 200);
    assert.equal(unkeyed.headers.get('idempotent-replayed'), null);
    assert.equal(await profileCount(server(), api_key), 2);
  });

  it('concurrent repeats run it once: the others get its answer or a 409, and their retries the answer', async () => {
    const { api_key } = await server().newKey();
    const key = newKey();
    const body = { name: 'Raced' };
    const send = () => call(server(), 'POST', '/v1/user_profiles', { key: api_key, body, headers: { 'Idempotency-Key': key } });
    const answers = await Promise.all(Array.from({ length: 20 }, send));
    for (const answer of answers) assert.ok(answer.status === 200 || answer.status === 409, `${answer.status} ${answer.text}`);
    const ran = answers.filter((a) => a.status === 200 && a.headers.get('idempotent-replayed') === null);
    assert.equal(ran.length, 1, 'exactly one ran');
    for (const answer of answers.filter((a) => a.status === 200)) assert.equal(answer.text, ran[0].text);
    for (const answer of answers.filter((a) => a.status === 409)) assert.equal(answer.json.error.type, 'conflict_error');
    assertReplayOf(await send(), ran[0]);
    assert.equal(await profileCount(server(), api_key), 1);
  });

  it('keeps a 4xx answer like a success; its body keeps the request_id of the request that ran', async () => {
    const { api_key } = await server().newKey();
    const key = newKey();
    const body = { name: 'x', colour: 'blue' };
    const first = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body, headers: { 'Idempotency-Key': key } });
    assert.equal(first.status, 400);
    assert.equal(first.json.request_id, first.headers.get('request-id'));
    const again = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body, headers: { 'Idempotency-Key': key } });
    assertReplayOf(again, first);
    assert.equal(again.json.request_id, first.headers.get('request-id'), 'the kept body names the request that ran');
    // an update of a profile that does not exist: a kept 404
    const path = '/v1/user_profiles/uprof_01AAAAAAAAAAAAAAAAAAAAAA';
    const missing = await call(server(), 'POST', path, { key: api_key, body: { name: 'n' }, headers: { 'Idempotency-Key': key + '-404' } });
    assert.equal(missing.status, 404);
    assertReplayOf(await call(server(), 'POST', path, { key: api_key, body: { name: 'n' }, headers: { 'Idempotency-Key': key + '-404' } }), missing);
  });

  it('does not keep a 5xx: the retry runs again', async () => {
    const { api_key } = await server().newKey();
    const key = newKey();
    const body = { name: 'After the outage' };
    // a real failure of the database under the route: its table is gone for a moment
    await server().store.sql.run('ALTER TABLE user_profiles RENAME TO user_profiles_away');
    let failed: RawResponse;
    try {
      failed = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body, headers: { 'Idempotency-Key': key } });
    } finally {
      await server().store.sql.run('ALTER TABLE user_profiles_away RENAME TO user_profiles');
    }
    assert.equal(failed.status, 500, failed.text);
    const retry = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body, headers: { 'Idempotency-Key': key } });
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.headers.get('idempotent-replayed'), null, 'the retry ran');
    assertReplayOf(await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body, headers: { 'Idempotency-Key': key } }), retry);
    assert.equal(await profileCount(server(), api_key), 1);
  });

  it('the same key with a different request is a 400 that says so, and changes nothing', async () => {
    const { api_key } = await server().newKey();
    const key = newKey();
    const headers = { 'Idempotency-Key': key };
    const first = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body: { name: 'One' }, headers });
    assert.equal(first.status, 200);
    const differs: [string, Parameters<typeof call>[3] & { path?: string }][] = [
      ['body', { body: { name: 'Two' } }],
      ['body bytes (same JSON, other spacing)', { rawBody: '{ "name": "One" }' }],
      ['path', { path: `/v1/user_profiles/${first.json.id}`, body: { name: 'One' } }],
      ['query', { path: '/v1/user_profiles?beta=true', body: { name: 'One' } }],
      ['anthropic-beta (the dialect)', { body: { name: 'One' }, headers: { 'anthropic-beta': 'user-profiles-2026-09-04' } }],
      ['anthropic-version', { body: { name: 'One' }, headers: { 'anthropic-version': '2026-10-21' } }],
    ];
    for (const [what, options] of differs) {
      const answer = await call(server(), 'POST', options.path ?? '/v1/user_profiles', {
        key: api_key, ...options, headers: { ...headers, ...(options.headers ?? {}) },
      });
      assert.equal(answer.status, 400, `${what}: ${answer.text}`);
      assert.equal(answer.json.error.type, 'invalid_request_error');
      assert.match(answer.json.error.message, /^Idempotency-Key: this key was already used for a different request/, what);
      assert.equal(answer.headers.get('idempotent-replayed'), null);
    }
    assert.equal(await profileCount(server(), api_key), 1);
    assert.equal((await call(server(), 'GET', `/v1/user_profiles/${first.json.id}`, { key: api_key })).json.name, 'One');
  });

  it('an empty body and {} are different requests (the bytes differ), though the route reads both alike', async () => {
    const { api_key } = await server().newKey();
    const created = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body: { name: 'P' } });
    const key = newKey();
    const none = await call(server(), 'POST', `/v1/user_profiles/${created.json.id}`, {
      key: api_key, rawBody: '', headers: { 'Idempotency-Key': key },
    });
    assert.equal(none.status, 200, none.text);
    const braces = await call(server(), 'POST', `/v1/user_profiles/${created.json.id}`, {
      key: api_key, rawBody: '{}', headers: { 'Idempotency-Key': key },
    });
    assert.equal(braces.status, 400);
    // an empty body with or without content-type: the same request (decisions §35)
    const bare = await call(server(), 'POST', `/v1/user_profiles/${created.json.id}`, { key: api_key, headers: { 'Idempotency-Key': key } });
    assertReplayOf(bare, none);
  });

  it('malformed keys are a 400 naming the header; 255 visible characters are fine, 256 are not', async () => {
    const { api_key } = await server().newKey();
    const bad = ['', 'x'.repeat(256), 'has space', 'tab\there', 'caf\u00e9'];
    for (const key of bad) {
      const answer = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body: {}, headers: { 'Idempotency-Key': key } });
      assert.equal(answer.status, 400, `${JSON.stringify(key)}: ${answer.text}`);
      assert.equal(answer.json.error.type, 'invalid_request_error');
      assert.match(answer.json.error.message, /^Idempotency-Key: must be 1 to 255 visible ASCII characters/);
    }
    assert.equal(await profileCount(server(), api_key), 0, 'a refused key changes nothing');
    const longest = `${'~'.repeat(200)}${'!'.repeat(55)}`;
    const ok = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body: {}, headers: { 'Idempotency-Key': longest } });
    assert.equal(ok.status, 200, ok.text);
    const shortest = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body: {}, headers: { 'Idempotency-Key': 'k' } });
    assert.equal(shortest.status, 200, shortest.text);
  });

  it('a repeat while the first still runs is a 409; once its lease lapses (a crashed process), a retry runs', async () => {
    const { api_key, organization_id } = await server().newKey();
    const key = newKey();
    const body = { name: 'Crashed' };
    // another process claimed the key and died before answering: what its claim left is an unanswered row
    const first = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body, headers: { 'Idempotency-Key': key } });
    const fingerprintRow = await server().store.sql.get<{ fingerprint: string }>(
      'SELECT fingerprint FROM idempotency_keys WHERE organization_id = ? AND idempotency_key = ?', [organization_id, key]);
    const crashed = newKey();
    const now = server().clock.now();
    const claim = await server().store.idempotency.claim({
      organizationId: organization_id, key: crashed, fingerprint: fingerprintRow!.fingerprint, owner: 'req_dead', now, leaseMs: LEASE_MS,
      ttlMs: IDEMPOTENCY_TTL_MS,
    });
    assert.equal(claim.kind, 'claimed');
    assert.equal(first.status, 200);

    const running = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body, headers: { 'Idempotency-Key': crashed } });
    assert.equal(running.status, 409, running.text);
    assert.equal(running.json.error.type, 'conflict_error');
    assert.match(running.json.error.message, /still being processed/);
    // another request with that key is still a 400, not a 409
    const other = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body: { name: 'Else' }, headers: { 'Idempotency-Key': crashed } });
    assert.equal(other.status, 400);

    server().clock.advance(LEASE_MS + 1);
    const retried = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body, headers: { 'Idempotency-Key': crashed } });
    assert.equal(retried.status, 200, retried.text);
    assert.equal(retried.headers.get('idempotent-replayed'), null);
    // the dead owner cannot overwrite the answer that is kept now
    assert.equal(await server().store.idempotency.complete(organization_id, crashed, 'req_dead', { status: 201, headers: {}, body: 'late' }), false);
    assertReplayOf(await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body, headers: { 'Idempotency-Key': crashed } }), retried);
    assert.equal(await profileCount(server(), api_key), 2);
  });

  it('keys are kept 24 hours: then the key is free again, and the sweeper deletes it', async () => {
    const { api_key, organization_id } = await server().newKey();
    const key = newKey();
    const first = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body: { name: 'Day one' }, headers: { 'Idempotency-Key': key } });
    assert.equal(first.status, 200);
    server().clock.advance(IDEMPOTENCY_TTL_MS - 60_000);
    assertReplayOf(await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body: { name: 'Day one' }, headers: { 'Idempotency-Key': key } }), first);
    assert.equal(await server().store.idempotency.sweep(server().clock.now()), 0, 'nothing has expired yet');
    server().clock.advance(60_000);
    const later = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body: { name: 'Day two' }, headers: { 'Idempotency-Key': key } });
    assert.equal(later.status, 200, 'an expired key is free for a new request');
    assert.equal(later.json.name, 'Day two');
    const stale = newKey();
    await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body: {}, headers: { 'Idempotency-Key': stale } });
    server().clock.advance(IDEMPOTENCY_TTL_MS);
    assert.ok((await server().store.idempotency.sweep(server().clock.now(), 1)) >= 2, 'the sweeper deletes expired keys, batch by batch');
    const left = await server().store.sql.values('SELECT idempotency_key FROM idempotency_keys WHERE organization_id = ?', [organization_id]);
    assert.deepEqual(left, []);
  });

  it('GET and DELETE ignore the header', async () => {
    const { api_key } = await server().newKey();
    const created = await call(server(), 'POST', '/v1/user_profiles', { key: api_key, body: {} });
    const key = newKey();
    const read = await call(server(), 'GET', `/v1/user_profiles/${created.json.id}`, { key: api_key, headers: { 'Idempotency-Key': key } });
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('idempotent-replayed'), null);
    const malformedOnGet = await call(server(), 'GET', `/v1/user_profiles/${created.json.id}`, { key: api_key, headers: { 'Idempotency-Key': 'a b' } });
    assert.equal(malformedOnGet.status, 200);
    const gone = await call(server(), 'DELETE', `/v1/user_profiles/${created.json.id}`, { key: api_key, headers: { 'Idempotency-Key': key } });
    assert.equal(gone.status, 200);
    const again = await call(server(), 'DELETE', `/v1/user_profiles/${created.json.id}`, { key: api_key, headers: { 'Idempotency-Key': key } });
    assert.equal(again.status, 404, 'a DELETE is not replayed');
  });

  it('one namespace per organization: every key of it shares it, another organization has its own, and the workspace is part of the request', async () => {
    const organization = `idem-org-${randomUUID()}`;
    const a = await server().newKey({ organization });
    const b = await server().newKey({ organization });
    const bound = await server().newKey({ organization, workspace: 'Elsewhere' });
    const stranger = await server().newKey();
    const key = newKey();
    const body = { name: 'Shared' };
    const first = await call(server(), 'POST', '/v1/user_profiles', { key: a.api_key, body, headers: { 'Idempotency-Key': key } });
    assert.equal(first.status, 200);
    assertReplayOf(await call(server(), 'POST', '/v1/user_profiles', { key: b.api_key, body, headers: { 'Idempotency-Key': key } }), first);
    const otherWorkspace = await call(server(), 'POST', '/v1/user_profiles', { key: bound.api_key, body, headers: { 'Idempotency-Key': key } });
    assert.equal(otherWorkspace.status, 400, 'a key acting for another workspace makes another request');
    const elsewhere = await call(server(), 'POST', '/v1/user_profiles', { key: stranger.api_key, body, headers: { 'Idempotency-Key': key } });
    assert.equal(elsewhere.status, 200);
    assert.equal(elsewhere.headers.get('idempotent-replayed'), null);
    assert.notEqual(elsewhere.json.id, first.json.id);
    assert.equal(await profileCount(server(), a.api_key), 1);
  });

  it('works on the organization webhooks and operator APIs too', async () => {
    const { api_key } = await server().newKey();
    const operator = await server().newKey({ role: 'operator' });
    const hooks = { 'anthropic-beta': WEBHOOKS_BETA };
    const key = newKey();
    const endpoint = { url: 'https://hooks.example.com/uprof', enabled_events: ['user_profile.enforcement_action_opened'] };
    const made = await call(server(), 'POST', '/v1/organizations/webhooks', { key: api_key, body: endpoint, headers: { ...hooks, 'Idempotency-Key': key } });
    assert.equal(made.status, 200, made.text);
    assertReplayOf(await call(server(), 'POST', '/v1/organizations/webhooks', { key: api_key, body: endpoint, headers: { ...hooks, 'Idempotency-Key': key } }), made);
    const listed = await call(server(), 'GET', '/v1/organizations/webhooks', { key: api_key, headers: hooks });
    assert.equal(listed.json.data.length, 1, 'one endpoint');

    // a profile of the operator's own organization, made by a platform key of it
    const organization = await server().store.tenancy.organizationById(operator.organization_id);
    const platform = await server().newKey({ organization: organization!.name });
    const opKey = newKey();
    const mine = await call(server(), 'POST', '/v1/user_profiles', { key: platform.api_key, body: { name: 'Banned once' } });
    const ban = { type: 'ban', reason: 'high_harm' };
    const path = `/v1/operator/user_profiles/${mine.json.id}/enforcement_actions`;
    const banned = await call(server(), 'POST', path, { key: operator.api_key, body: ban, headers: { 'Idempotency-Key': opKey } });
    assert.equal(banned.status, 200, banned.text);
    assertReplayOf(await call(server(), 'POST', path, { key: operator.api_key, body: ban, headers: { 'Idempotency-Key': opKey } }), banned);
    const view = await call(server(), 'GET', `/v1/operator/user_profiles/${mine.json.id}`, { key: operator.api_key });
    assert.equal(view.json.enforcement_actions.length, 1, 'one ban');
  });
}, { IDEMPOTENCY_LEASE_MS: String(LEASE_MS) });
