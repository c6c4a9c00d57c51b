/**
 * The emulator controls (decisions §38, README "Emulator"): reset, the per-organization test clock and forced
 * faults, through the operator API on a real server with UPROF_EMULATOR=1, on every engine; and their absence
 * without it. The clock is shown to drive every rule: link expiry, restriction lapse and the sweeper's
 * webhook, webhook retry due times, and the timestamps written.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { randomBase62 } from '../../src/ids.ts';
import { engines } from '../support/engines.ts';
import { call, startServer, type TestServer } from '../support/server.ts';
import { describeEachEngine } from '../support/suite.ts';
import { assertApiError, assertOk, ENROLL, recordingFetch, REQUEST_ID } from './profile-api.ts';
import { Receiver, waitUntil } from './webhook-receiver.ts';

const EMULATOR = '/v1/operator/emulator';
const HOUR = 3600_000;
const WEBHOOKS_BETA = { 'anthropic-beta': 'webhooks-2026-10-07' };

/** A fresh organization with a platform key (and its SDK) and an operator key, plus the emulator's controls. */
async function tenant(server: TestServer, options: { maxRetries?: number; fetch?: typeof fetch } = {}) {
  const organization = `emulator-${randomUUID()}`;
  const platform = await server.newKey({ organization });
  const operator = await server.newKey({ organization, role: 'operator' });
  const client = new Anthropic({
    apiKey: platform.api_key, baseURL: server.baseURL, maxRetries: options.maxRetries ?? 0, ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const control = (method: string, path: string, body?: unknown) => call(server, method, `${EMULATOR}${path}`, { key: operator.api_key, body });
  return {
    organizationId: platform.organization_id,
    platform,
    operator,
    client,
    control,
    advance: async (seconds: number) => assertOk(await control('POST', '/clock/advance', { seconds })),
    clock: async () => assertOk(await control('GET', '/clock')),
    fault: async (body: Record<string, unknown>) => assertOk(await control('POST', '/faults', body)),
    operatorApi: async (path: string, body?: unknown) =>
      assertOk(await call(server, 'POST', `/v1/operator/user_profiles/${path}`, { key: operator.api_key, body })),
  };
}

const near = (actual: string | number, expected: number, what: string, slackMs = 10_000) => {
  const value = typeof actual === 'string' ? Date.parse(actual) : actual;
  assert.ok(Math.abs(value - expected) < slackMs, `${what}: ${new Date(value).toISOString()} is not near ${new Date(expected).toISOString()}`);
};

describeEachEngine('emulator controls without UPROF_EMULATOR', (server) => {
  it('do not exist: 404 on every route, for operator keys too, and no clock or fault reaches the API', async () => {
    const t = await tenant(server());
    for (const [method, path, body] of [
      ['POST', '/reset', {}], ['GET', '/clock', undefined], ['POST', '/clock/advance', { seconds: 60 }],
      ['GET', '/faults', undefined], ['POST', '/faults', { route: '*', status: 529 }], ['DELETE', '/faults', undefined],
    ] as const) {
      assertApiError(await t.control(method, path, body), 404, 'not_found_error', `No route for ${method} ${EMULATOR}${path}`);
    }
    // rows written straight into the tables change nothing either: the server never reads them
    await server().store.emulator.advanceClock(t.organizationId, 10 * HOUR);
    await server().store.emulator.armFault(t.organizationId, { route: '*', status: 529, remaining: 5, retryAfter: null }, Date.now());
    const created = await t.client.userProfiles.create({});
    near(created.created_at, server().clock.now(), 'created_at on the real clock');
  });
});

describeEachEngine('emulator', (server) => {
  let receiver: Receiver;
  before(async () => {
    receiver = await Receiver.start();
  });
  after(async () => {
    await receiver.close();
  });

  it('takes operator keys only: a platform key gets 404, no key 401', async () => {
    const t = await tenant(server());
    assertApiError(await call(server(), 'GET', `${EMULATOR}/clock`, { key: t.platform.api_key }), 404, 'not_found_error');
    assertApiError(await call(server(), 'POST', `${EMULATOR}/faults`, { key: t.platform.api_key, body: { route: '*', status: 429 } }), 404, 'not_found_error');
    assertApiError(await call(server(), 'GET', `${EMULATOR}/clock`), 401, 'authentication_error');
    assertOk(await t.control('GET', '/clock'));
  });

  // ------------------------------------------------------------------------------------------ test clock

  it("moves one organization's clock forward: its timestamps follow, other organizations' do not", async () => {
    const t = await tenant(server());
    const other = await tenant(server());
    const start = await t.clock();
    assert.equal(start.type, 'emulator_clock');
    assert.equal(start.organization_id, t.organizationId);
    assert.equal(start.offset_ms, 0);
    const moved = await t.advance(3600);
    assert.equal(moved.offset_ms, HOUR);
    near(moved.now, server().clock.now() + HOUR, 'the clock reads an hour ahead');
    const again = await t.advance(0.5);
    assert.equal(again.offset_ms, HOUR + 500, 'advances add up, to the millisecond');

    const created = await t.client.userProfiles.create({ name: 'Later' });
    near(created.created_at, server().clock.now() + HOUR, 'created_at on the organization clock');
    const updated = await t.client.userProfiles.update(created.id, { name: 'Later still' });
    near(updated.updated_at, server().clock.now() + HOUR, 'updated_at on the organization clock');
    const elsewhere = await other.client.userProfiles.create({});
    near(elsewhere.created_at, server().clock.now(), "another organization's created_at on the real clock");
    assert.equal((await other.clock()).offset_ms, 0);
  });

  it('refuses to move a clock by nothing, backwards, or by more than ten years', async () => {
    const t = await tenant(server());
    for (const seconds of [0, -1, 315_360_001, '60', null]) {
      assertApiError(await t.control('POST', '/clock/advance', { seconds }), 400, 'invalid_request_error', 'seconds');
    }
    assertApiError(await t.control('POST', '/clock/advance', {}), 400, 'invalid_request_error', 'seconds: required');
    assertApiError(await t.control('POST', '/clock/advance', { seconds: 1, by: 2 }), 400, 'invalid_request_error', 'by: unknown field');
    assert.equal((await t.clock()).offset_ms, 0, 'nothing moved');
    assert.equal((await t.advance(0.001)).offset_ms, 1, 'the smallest step');
    assert.equal((await t.advance(315_360_000)).offset_ms, 315_360_000_001, 'the largest step');
  });

  it("expires links on the organization's clock", async () => {
    const t = await tenant(server());
    const profile = await t.client.userProfiles.create({});
    const action = await t.client.userProfiles.actionURLs.create(profile.id, ENROLL);
    const enrollment = await t.client.beta.userProfiles.createEnrollmentURL(profile.id);
    const open = async (url: string) => (await fetch(url)).status;
    assert.equal(await open(action.url), 200);
    assert.equal(await open(enrollment.url), 200);
    await t.advance(14 * 60);
    assert.equal(await open(enrollment.url), 200, '14 minutes in, the enrollment URL still opens');
    await t.advance(2 * 60);
    assert.equal(await open(enrollment.url), 410, '16 minutes in, it has expired');
    assert.equal(await open(action.url), 200, 'the action URL lives an hour');
    await t.advance(45 * 60);
    assert.equal(await open(action.url), 410, '61 minutes in, it has expired');
    // a link minted now expires an hour after the organization's now
    const later = await t.client.userProfiles.actionURLs.create(profile.id, ENROLL);
    near(later.expires_at, server().clock.now() + 61 * 60_000 + HOUR, 'expires_at on the organization clock');
    assert.equal(await open(later.url), 200);
  });

  it("lapses restrictions on the organization's clock, and the sweeper announces it then", async () => {
    const t = await tenant(server());
    const { path, url } = receiver.newPath();
    const endpoint = assertOk(await call(server(), 'POST', '/v1/organizations/webhooks', {
      key: t.platform.api_key, headers: WEBHOOKS_BETA,
      body: { url, enabled_events: ['user_profile.enforcement_action_opened', 'user_profile.enforcement_action_resolved'] },
    }));
    receiver.useSecret(path, endpoint.signing_secret);
    const profile = await t.client.userProfiles.create({});
    const expiresAt = new Date(server().clock.now() + 24 * HOUR).toISOString();
    const opened = await t.operatorApi(`${profile.id}/enforcement_actions`, { type: 'restriction', reason: 'fraud_or_abuse', expires_at: expiresAt });
    assert.equal((await t.client.userProfiles.retrieve(profile.id)).enforcement_status, 'restricted');
    await receiver.waitFor(path, 1);
    assert.deepEqual(receiver.events(path).map((e) => e.data.type), ['user_profile.enforcement_action_opened']);

    await t.advance(24 * 3600 + 1);
    const lapsed = await t.client.userProfiles.retrieve(profile.id);
    assert.equal(lapsed.enforcement_status, 'unrestricted', 'past expires_at on the organization clock, the restriction has lapsed');
    assert.deepEqual(lapsed.enforcement_actions, []);
    const [, resolved] = await receiver.waitFor(path, 2, 20_000);
    assert.ok(resolved.verified.ok);
    const event = (resolved.verified as { event: any }).event;
    assert.equal(event.data.type, 'user_profile.enforcement_action_resolved');
    assert.equal(event.data.enforcement_action_id, opened.opened_action_id);
    near(event.created_at, server().clock.now() + 24 * HOUR, "the event is dated on the organization's clock");
    // the webhook's signature timestamp stays the real time: receivers check it against their own clocks
    near(Number(resolved.headers['webhook-timestamp']) * 1000, Date.now(), 'webhook-timestamp is the real time');
  });

  it("brings webhook retries due on the organization's clock", async () => {
    const t = await tenant(server());
    const { path, url } = receiver.newPath();
    receiver.script(path, [500]);
    const endpoint = assertOk(await call(server(), 'POST', '/v1/organizations/webhooks', {
      key: t.platform.api_key, headers: WEBHOOKS_BETA, body: { url, enabled_events: ['user_profile.created'] },
    }));
    receiver.useSecret(path, endpoint.signing_secret);
    await t.client.userProfiles.create({ name: 'Announced' });
    const [first] = await receiver.waitFor(path, 1);
    assert.equal(first.answered, 500);
    // the retry schedule of this server is one hour (see the suite's settings): the wall clock would wait that long
    const log = async () =>
      assertOk(await call(server(), 'GET', `/v1/organizations/webhooks/${endpoint.id}/deliveries`, { key: t.platform.api_key, headers: WEBHOOKS_BETA })).data;
    await waitUntil(async () => (await log()).length === 1, 'the failed attempt is logged');
    assert.equal(receiver.to(path).length, 1, 'no retry before the hour has passed');

    await t.advance(3600);
    const [, second] = await receiver.waitFor(path, 2, 20_000);
    assert.equal(second.answered, 200);
    assert.equal(second.headers['webhook-id'], first.headers['webhook-id'], 'the retry is the same event');
    await waitUntil(async () => (await log()).length === 2, 'the retry is logged');
    const [retry] = await log();
    near(retry.attempted_at, server().clock.now() + HOUR, 'the retry is logged on the organization clock');
  });

  // ------------------------------------------------------------------------------------------ faults

  it('forces 429s that the SDK retries, honouring retry-after, then succeeds', async () => {
    const recorder = recordingFetch();
    const t = await tenant(server(), { maxRetries: 2, fetch: recorder.fetch });
    const armed = await t.fault({ route: 'POST /v1/user_profiles', status: 429, count: 2, retry_after: 1 });
    assert.deepEqual(armed, { type: 'emulator_fault', route: 'POST /v1/user_profiles', status: 429, remaining: 2, retry_after: 1 });
    const { data: profile, response } = await t.client.userProfiles.create({ name: 'Persistent' }).withResponse();
    assert.equal(response.status, 200);
    assert.equal(recorder.sent.length, 3, 'two refused attempts, then the one that succeeded');
    assert.deepEqual(recorder.sent.map((r) => r.headers.get('x-stainless-retry-count')), ['0', '1', '2']);
    assert.equal((await t.client.userProfiles.retrieve(profile.id)).name, 'Persistent', 'created exactly once, by the attempt that succeeded');
    const listed = await t.client.userProfiles.list({ limit: 100 });
    assert.equal(listed.data.length, 1, 'the refused attempts created nothing');
    assert.deepEqual(assertOk(await t.control('GET', '/faults')).data, [], 'both answers were used');
  });

  it('answers 500, 503 and 529 in the envelope, with a request-id, inviting a retry', async () => {
    const t = await tenant(server());
    const profile = await t.client.userProfiles.create({});
    const route = 'GET /v1/user_profiles/{user_profile_id}';
    for (const [status, type] of [[500, 'api_error'], [503, 'api_error'], [529, 'overloaded_error']] as const) {
      await t.fault({ route, status });
      const res = await call(server(), 'GET', `/v1/user_profiles/${profile.id}`, { key: t.platform.api_key });
      assertApiError(res, status, type, 'forced by the uprof emulator');
      assert.equal(res.headers.get('x-should-retry'), 'true');
      assert.equal(res.headers.get('retry-after'), null);
      assertOk(await call(server(), 'GET', `/v1/user_profiles/${profile.id}`, { key: t.platform.api_key }));
    }
    await t.fault({ route, status: 529 });
    const error = await t.client.userProfiles.retrieve(profile.id).then(() => assert.fail('expected a 529'), (e) => e);
    assert.ok(error instanceof Anthropic.OverloadedError, `got ${error?.constructor?.name}`);
    assert.match(String(error.requestID), REQUEST_ID);
    await t.fault({ route, status: 429, retry_after: 7 });
    const limited = await call(server(), 'GET', `/v1/user_profiles/${profile.id}`, { key: t.platform.api_key });
    assertApiError(limited, 429, 'rate_limit_error');
    assert.equal(limited.headers.get('retry-after'), '7');
  });

  it('takes a route fault before an every-route fault, spares other organizations and the controls themselves', async () => {
    const t = await tenant(server());
    const other = await tenant(server());
    await t.fault({ route: '*', status: 503, count: 2 });
    await t.fault({ route: 'GET /v1/user_profiles', status: 429, count: 1 });
    const list = () => call(server(), 'GET', '/v1/user_profiles', { key: t.platform.api_key });
    assertApiError(await list(), 429, 'rate_limit_error', 'GET /v1/user_profiles');
    assertApiError(await list(), 503, 'api_error', 'every route');
    const remaining = assertOk(await t.control('GET', '/faults')).data;
    assert.deepEqual(remaining, [{ type: 'emulator_fault', route: '*', status: 503, remaining: 1, retry_after: null }]);
    assertOk(await call(server(), 'GET', '/v1/user_profiles', { key: other.platform.api_key }));
    assertApiError(
      await call(server(), 'GET', '/v1/organizations/webhooks', { key: t.platform.api_key, headers: WEBHOOKS_BETA }),
      503, 'api_error', 'every route',
    );
    assertOk(await list());
    // faults never answer in place of an error the request earns first (no key, bad version), nor on the operator API
    await t.fault({ route: '*', status: 529, count: 3 });
    assertApiError(await call(server(), 'GET', '/v1/user_profiles', { key: t.platform.api_key, headers: { 'anthropic-version': null } }), 400, 'invalid_request_error');
    assertOk(await t.control('GET', '/clock'));
    const cleared = assertOk(await t.control('DELETE', '/faults'));
    assert.deepEqual(cleared, { type: 'emulator_faults_cleared', cleared: 1 });
    assertOk(await list());
  });

  it('validates a fault: route, status, count and retry_after, each on both sides of its limits', async () => {
    const t = await tenant(server());
    const refused = async (body: Record<string, unknown>, mention: string) =>
      assertApiError(await t.control('POST', '/faults', body), 400, 'invalid_request_error', mention);
    await refused({ status: 429 }, 'route: required');
    await refused({ route: '*' }, 'status: required');
    await refused({ route: 'GET /v1/nowhere', status: 429 }, 'route: must be one of');
    await refused({ route: 'GET /v1/operator/emulator/clock', status: 429 }, 'route');
    for (const status of [428, 430, 501, 502, 504, 528, 530, '429']) await refused({ route: '*', status }, 'status');
    for (const count of [0, 1001, 1.5]) await refused({ route: '*', status: 429, count }, 'count');
    for (const retry_after of [-1, 3601]) await refused({ route: '*', status: 429, retry_after }, 'retry_after');
    await refused({ route: '*', status: 500, retry_after: 1 }, 'retry_after: only a 429');
    await refused({ route: '*', status: 500, extra: 1 }, 'extra: unknown field');
    assert.deepEqual(assertOk(await t.control('GET', '/faults')).data, [], 'nothing was armed');
    assert.equal((await t.fault({ route: '*', status: 429, count: 1, retry_after: 0 })).remaining, 1);
    assert.equal((await t.fault({ route: '*', status: 429, count: 1000, retry_after: 3600 })).remaining, 1000, 'arming a route again replaces its fault');
    assert.deepEqual(assertOk(await t.control('GET', '/faults')).data.map((f: any) => f.remaining), [1000]);
    for (const route of ['POST /v1/user_profiles/{user_profile_id}/action_urls', 'DELETE /v1/organizations/webhooks/{webhook_endpoint_id}']) {
      assert.equal((await t.fault({ route, status: 500 })).route, route);
    }
  });

  // ------------------------------------------------------------------------------------------ reset

  it("deletes the organization's data and keeps the organization, its keys and other organizations", async () => {
    const t = await tenant(server());
    const other = await tenant(server());
    const kept = await other.client.userProfiles.create({ name: 'Elsewhere' });
    const profile = await t.client.userProfiles.create({ name: 'Gone soon' });
    await t.client.userProfiles.retrieve(profile.id); // read once, so a SQLite server holds it in memory
    const link = await t.client.userProfiles.actionURLs.create(profile.id, ENROLL);
    const endpoint = assertOk(await call(server(), 'POST', '/v1/organizations/webhooks', {
      key: t.platform.api_key, headers: WEBHOOKS_BETA, body: { url: receiver.newPath().url, enabled_events: ['user_profile.created'] },
    }));
    await t.advance(600);
    await t.fault({ route: 'DELETE /v1/user_profiles/{user_profile_id}', status: 529 });

    const reset = assertOk(await t.control('POST', '/reset'));
    assert.deepEqual(reset, { type: 'emulator_reset', organization_id: t.organizationId, restored_fixture: null });
    await assert.rejects(t.client.userProfiles.retrieve(profile.id), Anthropic.NotFoundError);
    assert.deepEqual((await t.client.userProfiles.list()).data, []);
    assert.equal((await fetch(link.url)).status, 404, 'its links are gone');
    assertApiError(
      await call(server(), 'GET', `/v1/organizations/webhooks/${endpoint.id}`, { key: t.platform.api_key, headers: WEBHOOKS_BETA }),
      404, 'not_found_error',
    );
    assert.equal((await t.clock()).offset_ms, 0, 'its clock is back on the real time');
    assert.deepEqual(assertOk(await t.control('GET', '/faults')).data, []);
    near((await t.client.userProfiles.create({})).created_at, server().clock.now(), 'keys still work, on the real clock');
    assert.equal((await other.client.userProfiles.retrieve(kept.id)).name, 'Elsewhere');
  });

  it('restores the fixture the organization was loaded from (UPROF_FIXTURES), unless told not to', async () => {
    const name = `emulator-fixture-${randomUUID()}`;
    const operatorSecret = `sk-test-operator-${randomBase62(24)}`;
    const platformSecret = `sk-test-platform-${randomBase62(24)}`;
    const id = `uprof_01${randomBase62(22)}`;
    const file = join(mkdtempSync(join(tmpdir(), 'uprof-fixture-')), 'reset.json');
    writeFileSync(file, JSON.stringify({
      organizations: [{
        name,
        keys: [{ secret: platformSecret }, { secret: operatorSecret, role: 'operator' }],
        profiles: [{
          id, name: 'Fixed', metadata: { plan: 'pro' }, programs: { cyber: { status: 'pending' } },
          created_at: '2026-01-02T03:04:05Z', updated_at: '2026-01-03T03:04:05Z',
        }],
      }],
    }));
    const engine = (await engines()).find((e) => e.name === server().engine)!;
    const loaded = await startServer(engine, { UPROF_EMULATOR: '1', UPROF_FIXTURES: file });
    try {
      const client = new Anthropic({ apiKey: platformSecret, baseURL: loaded.baseURL, maxRetries: 0 });
      const organizationId = (await loaded.store.tenancy.organizationByName(name))!.id;
      const original = await client.userProfiles.retrieve(id);
      assert.equal(original.name, 'Fixed');
      assert.equal(original.created_at, '2026-01-02T03:04:05Z');
      await client.userProfiles.update(id, { name: 'Changed', metadata: { plan: '' } });
      const extra = await client.userProfiles.create({ name: 'Extra' });
      const control = (body?: unknown) => call(loaded, 'POST', `${EMULATOR}/reset`, { key: operatorSecret, body });

      assert.deepEqual(assertOk(await control()), { type: 'emulator_reset', organization_id: organizationId, restored_fixture: file });
      assert.deepEqual(await client.userProfiles.retrieve(id), original, 'the fixture profile is back exactly as loaded');
      assert.deepEqual((await client.userProfiles.list()).data.map((p) => p.id), [id]);
      await assert.rejects(client.userProfiles.retrieve(extra.id), Anthropic.NotFoundError);

      await client.userProfiles.delete(id);
      assert.equal(assertOk(await control({ restore_fixture: false })).restored_fixture, null);
      assert.deepEqual((await client.userProfiles.list()).data, []);
      assertApiError(await control({ restore_fixture: 'yes' }), 400, 'invalid_request_error', 'restore_fixture');
      assert.equal(assertOk(await control({})).restored_fixture, file, 'the fixture is still remembered');
      assert.deepEqual(await client.userProfiles.retrieve(id), original, 'a deleted fixture profile comes back too');
    } finally {
      await loaded.close();
    }
  });
}, { UPROF_EMULATOR: '1', WEBHOOK_RETRY_SCHEDULE: '3600', WEBHOOK_POLL_MS: '50' });
