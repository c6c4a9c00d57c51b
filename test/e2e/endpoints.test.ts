/**
 * Every endpoint in every dialect, through the official SDKs (api-contract.md §3–§6, §9, §11; decisions §3,
 * 8–9, 15, 19, 21, 30). Raw HTTP only where the SDK cannot express the call.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeEachEngine } from '../support/suite.ts';
import {
  BETA_DIALECTS, DIALECTS, assertApiError, assertLink, assertOk, assertProfileShape, expectSdkError, rawProfiles,
  recordingFetch, sdkProfiles, sortedKeys, type Dialect, type SdkProfiles,
} from './profile-api.ts';

const MINUTE = 60_000;
const PAST = '2025-05-01T12:30:00+02:00';
const PAST_UTC = '2025-05-01T10:30:00Z';

/** A create body using every field the dialect accepts, and what the dialect must answer with. */
const SAMPLES: Record<Dialect, { body: Record<string, unknown>; expect: Record<string, unknown> }> = {
  '03-24': {
    body: { name: 'Acme Resale', external_id: 'acct-0324', relationship: 'resold', metadata: { plan: 'pro' } },
    expect: { name: 'Acme Resale', external_id: 'acct-0324', relationship: 'resold', metadata: { plan: 'pro' } },
  },
  '08-18': {
    body: { name: 'Bea', external_id: 'acct-0818', access_type: 'passthrough', external_user_onboarded_at: PAST, metadata: { plan: 'pro' } },
    expect: { name: 'Bea', external_id: 'acct-0818', access_type: 'passthrough', external_user_onboarded_at: PAST_UTC, metadata: { plan: 'pro' } },
  },
  '09-04': detailsSample('acct-0904'),
  ga: detailsSample('acct-ga'),
};

function detailsSample(reference: string) {
  const details = {
    account_status: 'active', country: 'DE', email_hash: 'e'.repeat(64), entity_type: 'business',
    name_hash: 'n'.repeat(64), onboarded_at: PAST, reference_id: reference,
  };
  return {
    body: { name: 'Cleo GmbH', access_type: 'application', external_user_details: details, metadata: { plan: 'pro' } },
    expect: {
      name: 'Cleo GmbH', access_type: 'application', external_user_details: { ...details, onboarded_at: PAST_UTC }, metadata: { plan: 'pro' },
    },
  };
}

function assertIncludes(actual: Record<string, unknown>, expected: Record<string, unknown>) {
  for (const [key, value] of Object.entries(expected)) assert.deepEqual(actual[key], value, key);
}

/** Everything but the fields an update is expected to touch. */
function without(profile: Record<string, unknown>, ...keys: string[]) {
  return Object.fromEntries(Object.entries(profile).filter(([key]) => !keys.includes(key)));
}

describeEachEngine('endpoints', (server) => {
  const newOrg = async () => (await server().newKey()).api_key;
  const sdk = (apiKey: string, dialect: Dialect) => sdkProfiles(server(), apiKey, dialect);
  const advance = (ms: number) => server().clock.advance(ms);

  describe('create, retrieve, update, list in every dialect', () => {
    for (const dialect of DIALECTS) {
      it(`${dialect}: every operation answers 200 in the dialect's exact shape`, async () => {
        const api = sdk(await newOrg(), dialect);
        const { body, expect } = SAMPLES[dialect];

        const created = await api.create(body);
        assertProfileShape(created, dialect);
        assertIncludes(created, expect);
        assert.equal(created.created_at, created.updated_at, 'created_at == updated_at on create');

        const defaults = await api.create({});
        assertProfileShape(defaults, dialect);
        assert.equal(defaults.name, null);
        assert.deepEqual(defaults.metadata, {});
        assert.notEqual(defaults.id, created.id);

        assert.deepEqual(await api.retrieve(created.id), created);

        advance(2_000);
        const updated = await api.update(created.id, { name: 'Renamed', metadata: { tier: 'gold' } });
        assertProfileShape(updated, dialect);
        assert.equal(updated.name, 'Renamed');
        assert.deepEqual(updated.metadata, { plan: 'pro', tier: 'gold' });
        assert.equal(updated.created_at, created.created_at);
        assert.ok(Date.parse(updated.updated_at) > Date.parse(created.updated_at), 'updated_at moved');
        assert.deepEqual(without(updated, 'name', 'metadata', 'updated_at'), without(created, 'name', 'metadata', 'updated_at'));
        assert.deepEqual(await api.retrieve(created.id), updated);

        const listed = await api.list({ limit: 10 });
        assert.equal(listed.next_page, null);
        assert.deepEqual(listed.data.map((p) => p.id).sort(), [created.id, defaults.id].sort());
        for (const item of listed.data) assertProfileShape(item, dialect);
        assert.deepEqual(listed.data.find((p) => p.id === created.id), updated);
      });
    }

    it('list envelope is exactly {data, next_page} in every dialect', async () => {
      const apiKey = await newOrg();
      await sdk(apiKey, 'ga').create({});
      for (const dialect of DIALECTS) {
        const body = assertOk(await rawProfiles(server(), apiKey, dialect).list('?limit=1'));
        assert.deepEqual(sortedKeys(body), ['data', 'next_page'], dialect);
        assert.equal(body.data.length, 1);
        assert.equal(body.next_page, null);
      }
    });
  });

  describe('what the SDKs send', () => {
    it('SDK 0.107 sends ?beta=true, x-api-key, anthropic-version 2023-06-01 and user-profiles-2026-03-24, and the server accepts it', async () => {
      const apiKey = await newOrg();
      const recorder = recordingFetch();
      const api = sdkProfiles(server(), apiKey, '03-24', { fetch: recorder.fetch });

      const created = await api.create({ name: 'Old', external_id: 'legacy-1', relationship: 'external' });
      await api.retrieve(created.id);
      await api.update(created.id, { external_id: 'legacy-2' });
      await api.list({ limit: 5 });
      await api.enrollmentUrl!(created.id);

      assert.equal(recorder.sent.length, 5);
      for (const request of recorder.sent) {
        const what = `${request.method} ${request.url}`;
        assert.equal(request.url.searchParams.get('beta'), 'true', what);
        assert.equal(request.headers.get('x-api-key'), apiKey, what);
        assert.equal(request.headers.get('authorization'), null, what);
        assert.equal(request.headers.get('anthropic-version'), '2023-06-01', what);
        assert.equal(request.headers.get('anthropic-beta'), 'user-profiles-2026-03-24', what);
      }
    });

    it('SDK 1.14 beta with betas [user-profiles-2026-09-04] sends both values and gets the 09-04 shape (newest wins)', async () => {
      const apiKey = await newOrg();
      const recorder = recordingFetch();
      const api = sdkProfiles(server(), apiKey, '09-04', { fetch: recorder.fetch });
      const created = await api.create({ external_user_details: { reference_id: 'r-1' } });
      assertProfileShape(created, '09-04');
      assert.equal(created.external_user_details.reference_id, 'r-1');
      const [request] = recorder.sent;
      assert.equal(request.headers.get('anthropic-beta'), 'user-profiles-2026-09-04,user-profiles-2026-08-18');
      // and SDK 1.x authenticates with a bearer token, without ?beta=true
      assert.equal(request.headers.get('authorization'), `Bearer ${apiKey}`);
      assert.equal(request.headers.get('x-api-key'), null);
      assert.equal(request.url.searchParams.get('beta'), null);
    });

    it('SDK 1.14 GA sends no anthropic-beta; its default beta surface sends user-profiles-2026-08-18', async () => {
      const apiKey = await newOrg();
      const recorder = recordingFetch();
      const ga = sdkProfiles(server(), apiKey, 'ga', { fetch: recorder.fetch });
      const beta = sdkProfiles(server(), apiKey, '08-18', { fetch: recorder.fetch });
      const created = await ga.create({});
      assertProfileShape(await beta.retrieve(created.id), '08-18');
      assert.equal(recorder.sent[0].headers.get('anthropic-beta'), null);
      assert.equal(recorder.sent[1].headers.get('anthropic-beta'), 'user-profiles-2026-08-18');
    });
  });

  describe('enrollment and action URLs', () => {
    for (const dialect of BETA_DIALECTS) {
      it(`${dialect}: createEnrollmentURL answers an enrollment_url that lives 15 minutes`, async () => {
        const api = sdk(await newOrg(), dialect);
        const { id } = await api.create({});
        const mintedAt = server().clock.now();
        const first = await api.enrollmentUrl!(id);
        assertLink(first, 'enrollment_url', server(), mintedAt, 15 * MINUTE);
        const second = await api.enrollmentUrl!(id);
        assert.notEqual(second.url, first.url, 'every call makes a new URL');
      });
    }

    for (const dialect of ['08-18', '09-04', 'ga'] as const) {
      it(`${dialect}: actionURLs.create answers a user_profile_action_url that lives 60 minutes`, async () => {
        const api = sdk(await newOrg(), dialect);
        const { id } = await api.create({});
        const mintedAt = server().clock.now();
        const first = await api.actionUrl!(id);
        assertLink(first, 'user_profile_action_url', server(), mintedAt, 60 * MINUTE);
        const second = await api.actionUrl!(id);
        assert.notEqual(second.url, first.url, 'every call makes a new URL');
      });
    }

    it('enrollment_url without a user-profiles beta (GA) is 404 not_found_error; with one it is 200', async () => {
      const apiKey = await newOrg();
      const { id } = await sdk(apiKey, 'ga').create({});
      assertApiError(await rawProfiles(server(), apiKey, 'ga').enrollmentUrl(id), 404, 'not_found_error');
      const link = assertOk(await rawProfiles(server(), apiKey, '08-18').enrollmentUrl(id));
      assert.equal(link.type, 'enrollment_url');
    });

    it('URLs for an unknown profile id are 404 not_found_error', async () => {
      const api = sdk(await newOrg(), '08-18');
      const unknown = 'uprof_01' + 'A'.repeat(22);
      await expectSdkError(api.enrollmentUrl!(unknown), 404, 'not_found_error');
      await expectSdkError(api.actionUrl!(unknown), 404, 'not_found_error');
    });
  });

  describe('delete (decisions §19)', () => {
    /** every SDK surface says the deleted profile is gone; the old SDK had no delete, so 03-24 deletes raw */
    async function assertGone(apiKey: string, id: string, survivor: string) {
      for (const dialect of DIALECTS) {
        const api = sdk(apiKey, dialect);
        await expectSdkError(api.retrieve(id), 404, 'not_found_error');
        await expectSdkError(api.update(id, { name: 'x' }), 404, 'not_found_error');
        if (api.delete) await expectSdkError(api.delete(id), 404, 'not_found_error');
        if (api.enrollmentUrl) await expectSdkError(api.enrollmentUrl(id), 404, 'not_found_error');
        if (api.actionUrl) await expectSdkError(api.actionUrl(id), 404, 'not_found_error');
        const listed = await api.list({ limit: 100 });
        assert.deepEqual(listed.data.map((p) => p.id), [survivor], `${dialect} list`);
      }
      const raw = rawProfiles(server(), apiKey, '03-24');
      assertApiError(await raw.retrieve(id), 404, 'not_found_error');
      assertApiError(await raw.delete(id), 404, 'not_found_error');
    }

    const deleters: Array<[Dialect, (apiKey: string, id: string) => Promise<any>]> = [
      ['ga', (apiKey, id) => sdk(apiKey, 'ga').delete!(id)],
      ['08-18', (apiKey, id) => sdk(apiKey, '08-18').delete!(id)],
      ['09-04', (apiKey, id) => sdk(apiKey, '09-04').delete!(id)],
      ['03-24', async (apiKey, id) => assertOk(await rawProfiles(server(), apiKey, '03-24').delete(id))],
    ];
    for (const [dialect, remove] of deleters) {
      it(`${dialect}: delete answers {id, type: user_profile_deleted}; then every operation is 404 and lists skip it`, async () => {
        const apiKey = await newOrg();
        const api = sdk(apiKey, dialect);
        const doomed = await api.create({ name: 'Doomed' });
        const survivor = await api.create({ name: 'Survivor' });
        const deleted = await remove(apiKey, doomed.id);
        assert.deepEqual(sortedKeys(deleted), ['id', 'type']);
        assert.deepEqual({ ...deleted }, { id: doomed.id, type: 'user_profile_deleted' });
        await assertGone(apiKey, doomed.id, survivor.id);
        // the survivor is untouched
        assert.deepEqual(await api.retrieve(survivor.id), survivor);
      });
    }
  });

  describe('update semantics', () => {
    it('a partial update leaves every field it does not name', async () => {
      const api = sdk(await newOrg(), 'ga');
      const created = await api.create(SAMPLES.ga.body);
      advance(1_000);
      const renamed = await api.update(created.id, { name: 'Only the name' });
      assert.deepEqual(without(renamed, 'name', 'updated_at'), without(created, 'name', 'updated_at'));
      advance(1_000);
      const moved = await api.update(created.id, { external_user_details: { country: 'FR' } });
      assert.deepEqual(moved.external_user_details, { ...created.external_user_details, country: 'FR' });
      assert.deepEqual(without(moved, 'external_user_details', 'updated_at'), without(renamed, 'external_user_details', 'updated_at'));
    });

    it('metadata merges: sent keys overwrite, "" removes, absent keys stay', async () => {
      const api = sdk(await newOrg(), 'ga');
      const { id } = await api.create({ metadata: { a: '1', b: '2', c: '3' } });
      const merged = await api.update(id, { metadata: { a: 'one', b: '', d: '4' } });
      assert.deepEqual(merged.metadata, { a: 'one', c: '3', d: '4' });
      assert.deepEqual((await api.retrieve(id)).metadata, { a: 'one', c: '3', d: '4' });
    });

    it('name: null clears the name', async () => {
      const api = sdk(await newOrg(), 'ga');
      const { id } = await api.create({ name: 'Named' });
      assert.equal((await api.update(id, { name: null })).name, null);
      assert.equal((await api.retrieve(id)).name, null);
    });

    for (const dialect of ['03-24', '08-18'] as const) {
      it(`${dialect}: external_id: null clears the external id and nothing else`, async () => {
        const api = sdk(await newOrg(), dialect);
        const created = await api.create({ name: 'N', external_id: 'ext-1' });
        const cleared = await api.update(created.id, { external_id: null });
        assert.equal(cleared.external_id, null);
        assert.deepEqual(without(cleared, 'external_id', 'updated_at'), without(created, 'external_id', 'updated_at'));
        assert.equal((await api.retrieve(created.id)).external_id, null);
      });
    }

    for (const dialect of ['08-18', '09-04', 'ga'] as const) {
      it(`${dialect}: access_type: null leaves the access type (and updated_at) unchanged`, async () => {
        const api = sdk(await newOrg(), dialect);
        const created = await api.create({ access_type: 'passthrough' });
        advance(1_000);
        assert.deepEqual(await api.update(created.id, { access_type: null }), created);
        assert.deepEqual(await api.retrieve(created.id), created);
      });
    }

    for (const relationship of ['resold', 'internal'] as const) {
      it(`03-24: relationship: null leaves ${relationship} unchanged`, async () => {
        const api = sdk(await newOrg(), '03-24');
        const created = await api.create({ relationship });
        advance(1_000);
        assert.deepEqual(await api.update(created.id, { relationship: null }), created);
        assert.deepEqual(await api.retrieve(created.id), created);
      });
    }

    it('updated_at moves only when a stored value changes (decisions §15)', async () => {
      const apiKey = await newOrg();
      const api = sdk(apiKey, 'ga');
      const created = await api.create(SAMPLES.ga.body);
      const noOps: Array<[string, Record<string, unknown>, SdkProfiles]> = [
        ['empty update', {}, api],
        ['same name', { name: created.name }, api],
        ['same access_type', { access_type: created.access_type }, api],
        ['same metadata value', { metadata: { plan: 'pro' } }, api],
        ['removing an absent metadata key', { metadata: { absent: '' } }, api],
        ['same detail', { external_user_details: { country: 'DE', reference_id: 'acct-ga' } }, api],
        ['same external_id under 08-18', { external_id: 'acct-ga' }, sdk(apiKey, '08-18')],
        ['same relationship under 03-24', { relationship: 'external' }, sdk(apiKey, '03-24')],
      ];
      for (const [what, body, via] of noOps) {
        advance(5_000);
        await via.update(created.id, body);
        assert.deepEqual(await api.retrieve(created.id), created, `${what} changes nothing, updated_at included`);
      }

      advance(5_000);
      const before = server().clock.now();
      const changed = await api.update(created.id, { metadata: { plan: 'team' } });
      const after = server().clock.now();
      const updatedAt = Date.parse(changed.updated_at);
      assert.ok(updatedAt >= before && updatedAt <= after, `updated_at ${changed.updated_at} is the time of the change`);
      assert.equal(changed.created_at, created.created_at);
    });
  });
});
