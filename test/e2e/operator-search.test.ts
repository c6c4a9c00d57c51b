import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { Standing } from '../../src/standing.ts';
import { DeliveryWorker } from '../../src/webhooks/worker.ts';
import { Clock } from '../../src/clock.ts';
import { describeEachEngine } from '../support/suite.ts';
import { call, currentSdk, type RawResponse } from '../support/server.ts';
import { assertApiError } from './profile-api.ts';

/**
 * The operator API's profile search (`GET /v1/operator/user_profiles?…`), an organization's branding and
 * key names, rejection reasons and reviewers' notes, and what becomes of identity-check evidence: on both
 * engines, over HTTP.
 */

const ok = (response: RawResponse) => {
  assert.equal(response.status, 200, response.text);
  return response.json;
};

/** A 1×1 PNG, and one `width`×`height` (only its header is read for the size). */
function png(width = 1, height = 1, padTo = 0): Buffer {
  const header = Buffer.alloc(25);
  header.writeUInt32BE(13, 0);
  header.write('IHDR', 4, 'latin1');
  header.writeUInt32BE(width, 8);
  header.writeUInt32BE(height, 12);
  header.set([8, 6, 0, 0, 0], 16);
  const end = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const filler = Buffer.alloc(Math.max(0, padTo - signature.length - header.length - end.length));
  return Buffer.concat([signature, header, filler, end]);
}

describeEachEngine('operator API: search, branding, key names, reviews', (server) => {
  async function tenant() {
    const organization = `search-${randomUUID()}`;
    const platform = await server().newKey({ organization });
    const operator = await server().newKey({ organization, role: 'operator', name: 'Grace' });
    const sdk = currentSdk(server(), platform.api_key);
    const get = (path: string) => call(server(), 'GET', `/v1/operator${path}`, { key: operator.api_key });
    const post = (path: string, body: unknown) => call(server(), 'POST', `/v1/operator${path}`, { key: operator.api_key, body });
    const create = async (name: string | null, reference?: string) =>
      (await sdk.userProfiles.create({ ...(name === null ? {} : { name }), ...(reference ? { external_user_details: { reference_id: reference } } : {}) })).id;
    const standing = new Standing(server().store, server().clock.now);
    return { platform, operator, sdk, get, post, create, standing, org: platform.organization_id };
  }

  /** Every page of a search, following next_page. */
  async function walk(t: Awaited<ReturnType<typeof tenant>>, query: string): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let page: string | null = null;
    let pages = 0;
    do {
      const body = ok(await t.get(`/user_profiles?${query}${page ? `&page=${encodeURIComponent(page)}` : ''}`));
      ids.push(...body.data.map((p: any) => p.profile.id));
      page = body.next_page;
      pages++;
    } while (page !== null && pages < 50);
    return { ids, pages };
  }

  it('name_prefix: ASCII letters without case, in name order, page by page; accents are not folded', async () => {
    const t = await tenant();
    const alpha = await t.create('Acme Alpha');
    const beta = await t.create('acme beta');
    const gamma = await t.create('ACME Gamma');
    await t.create('Acmé Delta');
    await t.create('Acm');
    await t.create('Acmf');
    await t.create(null);
    const first = ok(await t.get('/user_profiles?name_prefix=acme&limit=2'));
    assert.deepEqual(first.data.map((p: any) => p.profile.id), [alpha, beta]);
    assert.equal(first.data[0].type, 'operator_user_profile');
    assert.ok(first.next_page);
    const second = ok(await t.get(`/user_profiles?name_prefix=acme&limit=2&page=${encodeURIComponent(first.next_page)}`));
    assert.deepEqual(second.data.map((p: any) => p.profile.id), [gamma]);
    assert.equal(second.next_page, null);
    assert.deepEqual((await walk(t, 'name_prefix=ACME%20G')).ids, [gamma]);
    assert.deepEqual((await walk(t, 'name_prefix=zzz')).ids, []);
  });

  it('name_prefix reads a range of the folded-name index on SQLite (no scan of the organization)', async (context) => {
    if (server().engine !== 'sqlite') return context.skip('the plan is SQLite\'s');
    const plan = await server().store.sql.all<{ detail: string }>(
      `EXPLAIN QUERY PLAN SELECT id FROM user_profiles WHERE organization_id = ? AND deleted_at IS NULL AND name_key IS NOT NULL
       AND name_key >= ? AND name_key < ? ORDER BY name_key ASC, id ASC LIMIT 21`, ['org', 'acme', 'acmf']);
    assert.match(plan.map((r) => r.detail).join('\n'), /SEARCH user_profiles USING (COVERING )?INDEX user_profiles_by_name \(organization_id=\? AND name_key>\? AND name_key<\?\)/);
  });

  it('reference_id: exactly that reference, newest first', async () => {
    const t = await tenant();
    const older = await t.create('One', 'cust-42');
    const newer = await t.create('Two', 'cust-42');
    await t.create('Three', 'cust-420');
    await t.create('Four', 'CUST-42');
    assert.deepEqual((await walk(t, 'reference_id=cust-42')).ids, [newer, older]);
    assert.deepEqual((await walk(t, 'reference_id=cust-42&name_prefix=tw')).ids, [newer]);
  });

  it('status filters: enforcement, cyber and EFS (none included), alone and together, every match exactly once over short pages', async () => {
    const t = await tenant();
    const banned = await t.create('Banned Co');
    const applied = await t.create('Applied Co');
    const plain = await t.create('Plain Co');
    ok(await t.post(`/user_profiles/${banned}/enforcement_actions`, { type: 'ban', reason: 'high_harm' }));
    await t.standing.applyForCyber(t.org, applied, { type: 'end_customer', id: 'action_url' }, ['a']);
    assert.deepEqual((await walk(t, 'enforcement_status=banned')).ids, [banned]);
    assert.deepEqual((await walk(t, 'enforcement_status[]=banned&enforcement_status[]=unrestricted')).ids, [plain, applied, banned]);
    assert.deepEqual((await walk(t, 'enforcement_status=banned,unrestricted')).ids, [plain, applied, banned]);
    assert.deepEqual((await walk(t, 'cyber_status=pending')).ids, [applied]);
    assert.deepEqual((await walk(t, 'cyber_status=none')).ids, [plain, banned]);
    assert.deepEqual((await walk(t, 'cyber_status=none&enforcement_status=unrestricted')).ids, [plain]);
    assert.deepEqual((await walk(t, 'efs_status=active')).ids, []);
    assert.deepEqual((await walk(t, 'name_prefix=b&enforcement_status=banned')).ids, [banned]);
    const paged = await walk(t, 'cyber_status=none&limit=1');
    assert.deepEqual(paged.ids, [plain, banned]);
  });

  it('refuses bad parameters with a 400 naming them (scalars once, never as arrays), and accepts their neighbours', async () => {
    const t = await tenant();
    const bad: [string, RegExp][] = [
      ['limit=0', /^limit:/], ['limit=101', /^limit:/], ['limit=abc', /^limit:/],
      ['name_prefix[]=a', /^name_prefix:/], ['name_prefix=a&name_prefix=b', /^name_prefix:/],
      ['reference_id=a&reference_id=b', /^reference_id:/], ['limit[]=2', /^limit:/], ['page=a&page=b', /^page:/],
      [`name_prefix=${'x'.repeat(256)}`, /^name_prefix:/], ['page=garbage', /^page:/],
      ['enforcement_status=bogus', /^enforcement_status:/], ['cyber_status=inactive', /^cyber_status:/], ['efs_status[]=x', /^efs_status:/],
      ['order_by=name', /^order_by: unknown parameter/], ['foo=1', /^foo: unknown parameter/],
    ];
    for (const [query, message] of bad) {
      const response = await t.get(`/user_profiles?${query}`);
      assertApiError(response, 400, 'invalid_request_error');
      assert.match(response.json.error.message, message, query);
    }
    for (const query of ['limit=1', 'limit=100', `name_prefix=${'x'.repeat(255)}`, 'name_prefix=', 'cyber_status=none', '']) {
      ok(await t.get(`/user_profiles?${query}`));
    }
    // a cursor belongs to its search
    await t.create('Zed One');
    await t.create('Zed Two');
    const { next_page } = ok(await t.get('/user_profiles?name_prefix=zed&limit=1'));
    assertApiError(await t.get(`/user_profiles?name_prefix=zee&limit=1&page=${encodeURIComponent(next_page)}`), 400, 'invalid_request_error');
  });

  it('platform keys get 404, another organization\'s operator sees none of these profiles', async () => {
    const t = await tenant();
    const id = await t.create('Mine Ltd');
    assertApiError(await call(server(), 'GET', '/v1/operator/user_profiles', { key: t.platform.api_key }), 404, 'not_found_error');
    const other = await server().newKey({ role: 'operator' });
    const theirs = ok(await call(server(), 'GET', '/v1/operator/user_profiles?name_prefix=mine', { key: other.api_key }));
    assert.deepEqual(theirs.data, []);
    assert.deepEqual((await walk(t, 'name_prefix=mine')).ids, [id]);
  });

  it('branding: an accent colour dark enough for white text, a small PNG logo served from our origin; bad values change nothing', async () => {
    const t = await tenant();
    assert.deepEqual(ok(await t.get('/organization')).branding, { accent_color: null, logo_url: null });
    // #767676 is the lightest grey with 4.5:1 on white; #777777 is just short of it
    assertApiError(await t.post('/organization/branding', { accent_color: '#777777' }), 400, 'invalid_request_error', /too light/);
    for (const accent_color of ['767676', '#76767', '#76767g', 'red', 5]) {
      assertApiError(await t.post('/organization/branding', { accent_color }), 400, 'invalid_request_error', /accent_color/);
    }
    assert.equal(ok(await t.post('/organization/branding', { accent_color: '#767676' })).branding.accent_color, '#767676');
    assert.equal(ok(await t.post('/organization/branding', { accent_color: '#1A5FB4' })).branding.accent_color, '#1a5fb4');

    const logos: [Buffer | string, RegExp][] = [
      [png(1025, 10), /1024×1024/], [png(10, 1025), /1024×1024/], [png(0, 10), /pixels/], [png(1, 1, 64 * 1024 + 1), /64 KiB/],
      [Buffer.from('GIF89a not a png at all, really'), /PNG/], [png().subarray(0, 40), /PNG/], ['not base64!', /base64/],
    ];
    for (const [logo, message] of logos) {
      const body = { logo_png_base64: typeof logo === 'string' ? logo : logo.toString('base64') };
      assertApiError(await t.post('/organization/branding', body), 400, 'invalid_request_error', message);
    }
    assertApiError(await t.post('/organization/branding', { logo: 'x' }), 400, 'invalid_request_error', /^logo: unknown field/);
    assert.equal(ok(await t.get('/organization')).branding.logo_url, null, 'nothing stored');

    const big = png(1024, 1024, 64 * 1024);
    const set = ok(await t.post('/organization/branding', { logo_png_base64: big.toString('base64') }));
    const logoUrl = new URL(set.branding.logo_url);
    const served = await fetch(`${server().baseURL}${logoUrl.pathname}`);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('content-type'), 'image/png');
    assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(Buffer.from(await served.arrayBuffer()), big);
    const theme = await fetch(`${server().baseURL}/assets/theme/1a5fb4.css`);
    assert.equal(await theme.text(), ':root{--accent:#1a5fb4}\n');
    assert.equal((await fetch(`${server().baseURL}/assets/theme/1a5fb4;}.css`)).status, 404);

    // removed: the old address finds nothing
    assert.deepEqual(ok(await t.post('/organization/branding', { logo_png_base64: null, accent_color: null })).branding, { accent_color: null, logo_url: null });
    assert.equal((await fetch(`${server().baseURL}${logoUrl.pathname}`)).status, 404);
  });

  it('key names: set, shown, removed; 1 to 100 characters; only keys of the organization', async () => {
    const t = await tenant();
    const path = `/api_keys/${t.platform.key_id}`;
    assert.deepEqual(ok(await t.post(path, { name: '  Billing service  ' })), {
      type: 'api_key', id: t.platform.key_id, name: 'Billing service', hint: `…${t.platform.api_key.slice(-4)}`, role: 'platform',
    });
    assert.equal(ok(await t.post(path, { name: 'n'.repeat(100) })).name, 'n'.repeat(100));
    assertApiError(await t.post(path, { name: 'n'.repeat(101) }), 400, 'invalid_request_error', /^name:/);
    assertApiError(await t.post(path, { name: 'a\nb' }), 400, 'invalid_request_error', /^name:/);
    assertApiError(await t.post(path, {}), 400, 'invalid_request_error', /^name:/);
    assert.equal(ok(await t.post(path, { name: null })).name, null);
    const other = await server().newKey();
    assertApiError(await t.post(`/api_keys/${other.key_id}`, { name: 'x' }), 404, 'not_found_error');
    assertApiError(await t.post('/api_keys/nope', { name: 'x' }), 404, 'not_found_error');
  });

  it('a rejection carries a reason (only a rejection may); history records it, and a reviewer\'s note on an identity check', async () => {
    const t = await tenant();
    const id = await t.create('Reviewed Ltd');
    await t.standing.applyForCyber(t.org, id, { type: 'end_customer', id: 'action_url' }, ['b']);
    assertApiError(await t.post(`/user_profiles/${id}/programs/cyber`, { status: 'pending', reason: 'usage_policy' }), 400, 'invalid_request_error', /^reason:/);
    assertApiError(await t.post(`/user_profiles/${id}/programs/cyber`, { status: 'rejected', reason: 'because' }), 400, 'invalid_request_error', /^reason:/);
    const rejected = ok(await t.post(`/user_profiles/${id}/programs/cyber`, { status: 'rejected', reason: 'use_case_not_eligible' }));
    assert.equal(rejected.cyber.rejection_reason, 'use_case_not_eligible');
    assert.equal(rejected.profile.programs.cyber.status, 'rejected');
    assert.equal('rejection_reason' in rejected.profile.programs.cyber, false, 'never on the wire');

    const action = ok(await t.post(`/user_profiles/${id}/enforcement_actions`, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true })).opened_action_id;
    // history is newest first by time: a second between steps keeps their order plain
    const tick = () => server().clock.advance(1000);
    tick();
    await t.standing.submitIdentityCheck(t.org, id, { type: 'end_customer', id: 'action_url' }, server().sealedEvidence());
    tick();
    const note = 'n'.repeat(1000);
    ok(await t.post(`/user_profiles/${id}/enforcement_actions/${action}/identity_check`, { result: 'failed', note }));
    tick();
    await t.standing.submitIdentityCheck(t.org, id, { type: 'end_customer', id: 'action_url' }, server().sealedEvidence());
    tick();
    ok(await t.post(`/user_profiles/${id}/enforcement_actions/${action}/identity_check`, { result: 'passed', note: '  Document matches.  ' }));
    const history = ok(await t.get(`/user_profiles/${id}/history`)).data;
    const events = history.map((r: any) => [r.event, r.detail, r.actor.id]);
    assert.deepEqual(events.slice(0, 5), [
      // newest first: one change's records in reverse of the order they were written (passed, then resolved)
      ['enforcement.resolved', { id: action, type: 'restriction' }, t.operator.key_id],
      ['identity_check.passed', { id: action, note: 'Document matches.' }, t.operator.key_id],
      ['identity_check.submitted', { id: action }, 'action_url'],
      ['identity_check.failed', { id: action, note }, t.operator.key_id],
      ['identity_check.submitted', { id: action }, 'action_url'],
    ]);
    assert.deepEqual(history.find((r: any) => r.event === 'cyber.status_changed' && r.detail.to === 'rejected').detail, {
      from: 'pending', to: 'rejected', reason: 'use_case_not_eligible',
    });
  });

  it('identity-check evidence: encrypted at rest, never in the platform API or webhook events, deleted 30 days after the decision', async () => {
    const t = await tenant();
    const id = await t.create('Evidence Ltd');
    const marker = `Marker ${randomUUID()}`;
    const action = ok(await t.post(`/user_profiles/${id}/enforcement_actions`, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true })).opened_action_id;
    await t.standing.submitIdentityCheck(t.org, id, { type: 'end_customer', id: 'action_url' }, server().sealedEvidence({ legalName: marker }));
    const rows = await server().store.sql.all<{ evidence: string; decided_at: number | null }>(
      'SELECT evidence, decided_at FROM identity_checks WHERE organization_id = ? AND profile_id = ?', [t.org, id]);
    assert.equal(rows.length, 1);
    assert.ok(rows[0].evidence.startsWith('v1.') && !rows[0].evidence.includes(marker) && !Buffer.from(rows[0].evidence.slice(3), 'base64').includes(marker));
    assert.equal(JSON.parse(server().secrets.open(rows[0].evidence)).legalName, marker);

    const seen = [
      JSON.stringify(await t.sdk.userProfiles.retrieve(id)),
      JSON.stringify(await t.sdk.beta.userProfiles.retrieve(id)),
      JSON.stringify((await t.sdk.userProfiles.list()).data),
      JSON.stringify(await server().store.sql.all('SELECT body FROM webhook_events WHERE organization_id = ?', [t.org])),
      (await t.get(`/user_profiles/${id}`)).text,
      (await t.get(`/user_profiles/${id}/history`)).text,
    ];
    for (const text of seen) assert.ok(!text.includes(marker), 'the evidence is not shown there');

    ok(await t.post(`/user_profiles/${id}/enforcement_actions/${action}/identity_check`, { result: 'passed' }));
    const decided = await server().store.sql.all<{ decided_at: number }>('SELECT decided_at FROM identity_checks WHERE organization_id = ? AND profile_id = ?', [t.org, id]);
    assert.equal(decided.length, 1);
    assert.ok(decided[0].decided_at > 0);

    const count = async () => (await server().store.sql.all('SELECT id FROM identity_checks WHERE organization_id = ? AND profile_id = ?', [t.org, id])).length;
    // the periodic worker (one more, on the same clock, whose rounds the test awaits) keeps it 30 days ...
    const worker = new DeliveryWorker(server().store, server().secrets, { retrySchedule: [], timeoutMs: 1000, disableAfter: 1, pollMs: 60_000, allowPrivateTargets: true }, new Clock(server().clock.now), console);
    server().clock.advance(29 * 24 * 3600_000);
    await worker.tick();
    assert.equal(await count(), 1, 'kept within 30 days of the decision');
    // ... then deletes it
    server().clock.advance(2 * 24 * 3600_000);
    await worker.tick();
    assert.equal(await count(), 0, 'deleted after 30 days');
  });
});
