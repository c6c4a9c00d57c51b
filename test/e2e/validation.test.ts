/**
 * Every validation rule of api-contract.md §7 and decisions §10–14, on both sides of its limit, over HTTP.
 * Values the SDK's types allow go through the SDK; the rest (wrong JSON types, nulls and enum values the
 * types exclude, fields of other versions, unknown fields) go raw. Every refusal is shown to change nothing:
 * a refused create leaves the organization's list as it was, a refused update leaves the profile deepEqual.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeEachEngine } from '../support/suite.ts';
import {
  DIALECTS, assertApiError, assertOk, codePoints, expectSdkError, rawProfiles, sdkProfiles,
  type Dialect, type RawProfiles, type SdkProfiles,
} from './profile-api.ts';

type Body = Record<string, unknown>;
type Via = 'sdk' | 'raw';
interface Target {
  dialect: Dialect;
  sdk: SdkProfiles;
  raw: RawProfiles;
}

const INVALID = 'invalid_request_error';

/** `{external_user_details: {key: value}}` */
const details = (key: string, value: unknown): Body => ({ external_user_details: { [key]: value } });

describeEachEngine('validation', (server) => {
  /** a fresh organization, spoken to in `dialect` */
  async function target(dialect: Dialect): Promise<Target> {
    const { api_key } = await server().newKey();
    return { dialect, sdk: sdkProfiles(server(), api_key, dialect), raw: rawProfiles(server(), api_key, dialect) };
  }

  const listAll = async (t: Target) => assertOk(await t.raw.list('?limit=100'));

  /** a 400 invalid_request_error whose message names `field` */
  async function refused(t: Target, via: Via, send: { sdk: () => Promise<unknown>; raw: () => Promise<any> }, field: string) {
    if (via === 'sdk') {
      const error = await expectSdkError(send.sdk(), 400, INVALID);
      const message: string = error.error.error.message;
      assert.ok(message.includes(field), `message ${JSON.stringify(message)} names ${field}`);
    } else {
      assertApiError(await send.raw(), 400, INVALID, field);
    }
  }

  /** create is refused naming `field`, and the organization still holds exactly what it held */
  async function refusesCreate(t: Target, body: unknown, field: string, via: Via = 'sdk') {
    const before = await listAll(t);
    await refused(t, via, { sdk: () => t.sdk.create(body as Body), raw: () => t.raw.create(body) }, field);
    assert.deepEqual(await listAll(t), before, `refused create ${JSON.stringify(body)} made nothing`);
  }

  /** update is refused naming `field`, and the profile is exactly as it was (rejected input changes nothing) */
  async function refusesUpdate(t: Target, id: string, body: unknown, field: string, via: Via = 'sdk') {
    const before = await t.sdk.retrieve(id);
    await refused(t, via, { sdk: () => t.sdk.update(id, body as Body), raw: () => t.raw.update(id, body) }, field);
    assert.deepEqual(await t.sdk.retrieve(id), before, `refused update ${JSON.stringify(body)} changed nothing`);
  }

  /** refused on create, and on update of an existing profile */
  async function refusesBoth(t: Target, id: string, body: unknown, field: string, via: Via = 'sdk') {
    await refusesCreate(t, body, field, via);
    await refusesUpdate(t, id, body, field, via);
  }

  /** accepted on create and on update; `read` of both answers equals `expected` */
  async function acceptsBoth(t: Target, id: string, body: Body, read: (profile: any) => unknown, expected: unknown) {
    assert.deepEqual(read(await t.sdk.create(body)), expected, `create ${JSON.stringify(body)}`);
    assert.deepEqual(read(await t.sdk.update(id, body)), expected, `update ${JSON.stringify(body)}`);
    assert.deepEqual(read(await t.sdk.retrieve(id)), expected, `stored ${JSON.stringify(body)}`);
  }

  describe('name', () => {
    for (const dialect of DIALECTS) {
      it(`${dialect}: 255 code points accepted (an emoji is one), 256 refused, empty refused`, async () => {
        const t = await target(dialect);
        const { id } = await t.sdk.create({ name: 'start' });
        const longest = '😀'.repeat(255); // 510 UTF-16 units, 1020 UTF-8 bytes
        await acceptsBoth(t, id, { name: longest }, (p) => p.name, longest);
        await refusesBoth(t, id, { name: '😀'.repeat(256) }, 'name');
        await refusesBoth(t, id, { name: 'a'.repeat(256) }, 'name');
        await acceptsBoth(t, id, { name: 'a' }, (p) => p.name, 'a');
        await refusesBoth(t, id, { name: '' }, 'name');
      });
    }
  });

  describe('bounded strings: 1..255 code points', () => {
    type Case = [Dialect, string, (value: string) => Body, (profile: any) => unknown];
    const detailCase = (dialect: Dialect, key: string): Case =>
      [dialect, `external_user_details.${key}`, (v) => details(key, v), (p) => p.external_user_details[key]];
    const cases: Case[] = [
      ['03-24', 'external_id', (v) => ({ external_id: v }), (p) => p.external_id],
      ['08-18', 'external_id', (v) => ({ external_id: v }), (p) => p.external_id],
      ...(['09-04', 'ga'] as const).flatMap((dialect) => ['reference_id', 'email_hash', 'name_hash'].map((key) => detailCase(dialect, key))),
    ];
    for (const [dialect, field, body, read] of cases) {
      it(`${dialect}: ${field} — 1 and 255 accepted, 0 and 256 refused`, async () => {
        const t = await target(dialect);
        const { id } = await t.sdk.create(body('start'));
        await acceptsBoth(t, id, body('x'), read, 'x');
        await acceptsBoth(t, id, body(codePoints(255)), read, codePoints(255));
        await refusesBoth(t, id, body(codePoints(256)), field);
        await refusesBoth(t, id, body(''), field);
      });
    }
  });

  describe('external_user_details.country', () => {
    for (const dialect of ['09-04', 'ga'] as const) {
      it(`${dialect}: two upper-case ASCII letters; 'de', 'DEU', 'D1', 'D' refused`, async () => {
        const t = await target(dialect);
        const { id } = await t.sdk.create(details('country', 'US'));
        await acceptsBoth(t, id, details('country', 'DE'), (p) => p.external_user_details.country, 'DE');
        for (const bad of ['de', 'DEU', 'D1', 'D', 'ÄB']) await refusesBoth(t, id, details('country', bad), 'external_user_details.country');
      });
    }
  });

  describe('enums', () => {
    const cases: Array<[Dialect, string, (value: string) => Body, (profile: any) => unknown, string[], string[]]> = [
      ['ga', 'access_type', (v) => ({ access_type: v }), (p) => p.access_type, ['passthrough', 'application'], ['resold', 'Application', '']],
      ['08-18', 'access_type', (v) => ({ access_type: v }), (p) => p.access_type, ['passthrough', 'application'], ['external', 'PASSTHROUGH']],
      ['03-24', 'relationship', (v) => ({ relationship: v }), (p) => p.relationship, ['resold', 'internal', 'external'], ['passthrough', 'External', '']],
      [
        '09-04', 'external_user_details.account_status', (v) => details('account_status', v), (p) => p.external_user_details.account_status,
        ['suspended', 'blocked', 'active'], ['deleted', 'Active', ''],
      ],
      [
        'ga', 'external_user_details.entity_type', (v) => details('entity_type', v), (p) => p.external_user_details.entity_type,
        ['business', 'non_profit', 'government', 'individual'], ['person', 'non-profit', ''],
      ],
    ];
    for (const [dialect, field, body, read, good, bad] of cases) {
      it(`${dialect}: ${field} accepts ${good.join('/')} and nothing else`, async () => {
        const t = await target(dialect);
        const { id } = await t.sdk.create({});
        for (const value of good) await acceptsBoth(t, id, body(value), read, value);
        for (const value of bad) await refusesBoth(t, id, body(value), field, 'raw');
        await refusesBoth(t, id, body(7 as unknown as string), field, 'raw');
      });
    }
  });

  describe('onboarding timestamps (decisions §14)', () => {
    const cases: Array<[Dialect, string, (value: unknown) => Body, (profile: any) => unknown]> = [
      ['08-18', 'external_user_onboarded_at', (v) => ({ external_user_onboarded_at: v }), (p) => p.external_user_onboarded_at],
      ['09-04', 'external_user_details.onboarded_at', (v) => details('onboarded_at', v), (p) => p.external_user_details.onboarded_at],
      ['ga', 'external_user_details.onboarded_at', (v) => details('onboarded_at', v), (p) => p.external_user_details.onboarded_at],
    ];
    for (const [dialect, field, body, read] of cases) {
      it(`${dialect}: ${field} — complete RFC 3339, normalised to UTC, at most 1 minute ahead`, async () => {
        const t = await target(dialect);
        const { id } = await t.sdk.create(body('2020-01-01T00:00:00Z'));
        await acceptsBoth(t, id, body('2024-01-01T00:00:00Z'), read, '2024-01-01T00:00:00Z');
        await acceptsBoth(t, id, body('2024-01-01T01:30:00+01:30'), read, '2024-01-01T00:00:00Z');
        await acceptsBoth(t, id, body('2023-12-31T19:00:00-05:00'), read, '2024-01-01T00:00:00Z');
        const fractional = await t.sdk.update(id, body('2024-02-29T12:00:00.250Z'));
        assert.equal(Date.parse(read(fractional) as string), Date.parse('2024-02-29T12:00:00.250Z'));

        const soon = new Date(server().clock.now() + 30_000).toISOString();
        await acceptsBoth(t, id, body(soon), (p) => Date.parse(read(p) as string), Date.parse(soon));
        const tooLate = new Date(server().clock.now() + 120_000).toISOString();
        await refusesBoth(t, id, body(tooLate), field);

        for (const bad of ['2024-01-01', '2024-01-01T00:00:00', '2024-01-01T00:00Z', '2024-02-30T00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01T24:00:00Z', 'yesterday', '']) {
          await refusesBoth(t, id, body(bad), field);
        }
        await refusesBoth(t, id, body(1704067200), field, 'raw');
      });
    }
  });

  describe('metadata (decisions §13)', () => {
    const keys = (n: number, prefix = 'k') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 'v']));

    for (const dialect of ['ga', '03-24'] as const) {
      it(`${dialect}: create takes 16 keys, not 17`, async () => {
        const t = await target(dialect);
        assert.deepEqual((await t.sdk.create({ metadata: keys(16) })).metadata, keys(16));
        await refusesCreate(t, { metadata: keys(17) }, 'metadata');
      });
    }

    it('keys 1..64 and values 1..512 code points on create; values may be "" only on update, where "" deletes', async () => {
      const t = await target('ga');
      const { id } = await t.sdk.create({ metadata: { keep: 'me' } });
      const read = (p: any) => p.metadata;
      const longKey = codePoints(64);
      await acceptsBoth(t, id, { metadata: { [longKey]: 'v' } }, (p) => read(p)[longKey], 'v');
      await refusesBoth(t, id, { metadata: { [codePoints(65)]: 'v' } }, 'metadata');
      await refusesBoth(t, id, { metadata: { '': 'v' } }, 'metadata');
      await acceptsBoth(t, id, { metadata: { long: codePoints(512) } }, (p) => read(p).long, codePoints(512));
      await refusesBoth(t, id, { metadata: { long: codePoints(513) } }, 'metadata');

      await refusesCreate(t, { metadata: { empty: '' } }, 'metadata');
      const updated = await t.sdk.update(id, { metadata: { long: '', [longKey]: '' } });
      assert.deepEqual(updated.metadata, { keep: 'me' });
    });

    it('the 16-key cap applies to the merged result', async () => {
      const t = await target('ga');
      const { id } = await t.sdk.create({ metadata: keys(16) });
      await refusesUpdate(t, id, { metadata: { extra: 'v' } }, 'metadata');
      await refusesUpdate(t, id, { metadata: { extra: 'v', absent: '' } }, 'metadata');
      await refusesUpdate(t, id, { metadata: { k0: '', extra1: 'v', extra2: 'v' } }, 'metadata');

      const swapped = await t.sdk.update(id, { metadata: { k0: '', extra: 'v' } });
      const { k0: _removed, ...rest } = keys(16);
      assert.deepEqual(swapped.metadata, { ...rest, extra: 'v' });
      const overwritten = await t.sdk.update(id, { metadata: { k1: 'changed' } });
      assert.equal(overwritten.metadata.k1, 'changed');
      assert.equal(Object.keys(overwritten.metadata).length, 16);
    });

    it('metadata must be an object of strings', async () => {
      const t = await target('ga');
      const { id } = await t.sdk.create({ metadata: { a: 'b' } });
      for (const bad of ['x', ['a'], 3, { a: 1 }, { a: true }, { a: { nested: 'x' } }, { a: null }]) {
        await refusesBoth(t, id, { metadata: bad }, 'metadata', 'raw');
      }
    });
  });

  describe('nulls (decisions §12)', () => {
    it('create: name and external_id may be null (unset); access_type, relationship, onboarding times, metadata may not', async () => {
      const ga = await target('ga');
      const gaProfile = await ga.sdk.create({ name: null, external_user_details: { country: null, reference_id: 'r' } });
      assert.equal(gaProfile.name, null);
      assert.equal(gaProfile.external_user_details.country, null);
      assert.equal(gaProfile.external_user_details.reference_id, 'r');
      await refusesCreate(ga, { access_type: null }, 'access_type', 'raw');
      await refusesCreate(ga, details('onboarded_at', null), 'external_user_details.onboarded_at', 'raw');
      await refusesCreate(ga, { metadata: null }, 'metadata', 'raw');
      await refusesCreate(ga, { external_user_details: null }, 'external_user_details', 'raw');

      const legacy = await target('03-24');
      const legacyProfile = await legacy.sdk.create({ name: null, external_id: null });
      assert.equal(legacyProfile.name, null);
      assert.equal(legacyProfile.external_id, null);
      await refusesCreate(legacy, { relationship: null }, 'relationship', 'raw');

      const middle = await target('08-18');
      assert.equal((await middle.sdk.create({ external_id: null })).external_id, null);
      await refusesCreate(middle, { external_user_onboarded_at: null }, 'external_user_onboarded_at', 'raw');
      await refusesCreate(middle, { access_type: null }, 'access_type', 'raw');
    });

    it('update: external_user_onboarded_at null is refused; a set value stays', async () => {
      const t = await target('08-18');
      const { id } = await t.sdk.create({ external_user_onboarded_at: '2024-01-01T00:00:00Z', external_id: 'e' });
      await refusesUpdate(t, id, { external_user_onboarded_at: null }, 'external_user_onboarded_at', 'raw');
      // the accepted side: name and external_id clear with null
      const cleared = await t.sdk.update(id, { external_id: null, name: null });
      assert.equal(cleared.external_id, null);
      assert.equal(cleared.external_user_onboarded_at, '2024-01-01T00:00:00Z');
    });

    for (const dialect of ['09-04', 'ga'] as const) {
      it(`${dialect}: update with null for any external_user_details key is refused`, async () => {
        const t = await target(dialect);
        const full = {
          account_status: 'active', country: 'DE', email_hash: 'eh', entity_type: 'business',
          name_hash: 'nh', onboarded_at: '2024-01-01T00:00:00Z', reference_id: 'ref',
        };
        const { id } = await t.sdk.create({ external_user_details: full });
        for (const key of Object.keys(full)) {
          await refusesUpdate(t, id, details(key, null), `external_user_details.${key}`, 'raw');
        }
        await refusesUpdate(t, id, { external_user_details: null }, 'external_user_details', 'raw');
        await refusesUpdate(t, id, { metadata: null }, 'metadata', 'raw');
        // the accepted side: the same keys with values, and the null-tolerant fields
        const accepted = await t.sdk.update(id, { ...details('country', 'FR'), name: null, access_type: null });
        assert.equal(accepted.external_user_details.country, 'FR');
        assert.equal(accepted.access_type, 'application');
      });
    }
  });

  describe('JSON types and body shape', () => {
    const cases: Array<[Dialect, Body, string]> = [
      ['ga', { name: 123 }, 'name'],
      ['ga', { name: true }, 'name'],
      ['ga', { name: ['a'] }, 'name'],
      ['ga', { name: { first: 'a' } }, 'name'],
      ['08-18', { external_id: 5 }, 'external_id'],
      ['03-24', { relationship: false }, 'relationship'],
      ['ga', { access_type: 1 }, 'access_type'],
      ['ga', { external_user_details: 'x' }, 'external_user_details'],
      ['ga', { external_user_details: ['x'] }, 'external_user_details'],
      ['09-04', details('country', 49), 'external_user_details.country'],
      ['09-04', details('email_hash', 1), 'external_user_details.email_hash'],
      ['ga', details('reference_id', { id: 1 }), 'external_user_details.reference_id'],
      ['08-18', { external_user_onboarded_at: 1704067200 }, 'external_user_onboarded_at'],
    ];
    for (const [dialect, body, field] of cases) {
      it(`${dialect}: ${JSON.stringify(body)} is refused naming ${field}`, async () => {
        const t = await target(dialect);
        const { id } = await t.sdk.create({ name: 'before' });
        await refusesBoth(t, id, body, field, 'raw');
      });
    }

    it('a body that is not a JSON object, or not JSON at all, is refused', async () => {
      const t = await target('ga');
      const { id } = await t.sdk.create({ name: 'before' });
      const before = await t.sdk.retrieve(id);
      for (const bad of [[], 'name', 42]) {
        assertApiError(await t.raw.create(bad), 400, INVALID);
        assertApiError(await t.raw.update(id, bad), 400, INVALID);
      }
      for (const text of ['{"name":', 'not json', '{"name":"a",}']) {
        assertApiError(await t.raw.createRaw(text), 400, INVALID);
        assertApiError(await t.raw.updateRaw(id, text), 400, INVALID);
      }
      assert.deepEqual(await t.sdk.retrieve(id), before);
      assert.deepEqual((await listAll(t)).data.map((p: any) => p.id), [id], 'no profile was created');
    });

    it('a JSON null body is refused like any other non-object', async () => {
      const t = await target('ga');
      const { id } = await t.sdk.create({ name: 'before' });
      await refusesCreate(t, null, 'body', 'raw');
      await refusesUpdate(t, id, null, 'body', 'raw');
    });
  });

  describe('fields of another version (decisions §10)', () => {
    const HOME: Record<string, [Dialect, string, unknown]> = {
      relationship: ['03-24', 'user-profiles-2026-03-24', 'resold'],
      access_type: ['08-18', 'user-profiles-2026-08-18', 'passthrough'],
      external_id: ['08-18', 'user-profiles-2026-08-18', 'ext'],
      external_user_onboarded_at: ['08-18', 'user-profiles-2026-08-18', '2024-01-01T00:00:00Z'],
      external_user_details: ['09-04', 'user-profiles-2026-09-04', { reference_id: 'ref' }],
    };
    const misplaced: Array<[Dialect, keyof typeof HOME]> = [
      ['ga', 'relationship'], ['08-18', 'relationship'], ['09-04', 'relationship'],
      ['03-24', 'access_type'],
      ['09-04', 'external_id'], ['ga', 'external_id'],
      ['03-24', 'external_user_onboarded_at'], ['09-04', 'external_user_onboarded_at'], ['ga', 'external_user_onboarded_at'],
      ['03-24', 'external_user_details'], ['08-18', 'external_user_details'],
    ];
    for (const [dialect, field] of misplaced) {
      const [home, homeBeta, value] = HOME[field];
      it(`${field} under ${dialect} → 400 naming it and ${homeBeta}; accepted under ${home}`, async () => {
        const t = await target(dialect);
        const { id } = await t.sdk.create({ name: 'before' });
        await refusesBoth(t, id, { [field]: value }, field, 'raw');
        // the message points at a version that accepts it
        const res = await t.raw.create({ name: 'x', [field]: value });
        assertApiError(res, 400, INVALID, homeBeta);
        // the other side: its own version takes it
        const accepted = await (await target(home)).sdk.create({ [field]: value });
        assert.equal(accepted.type, 'user_profile');
      });
    }
  });

  describe('unknown fields', () => {
    for (const dialect of DIALECTS) {
      it(`${dialect}: an unknown field, or a response-only field, is refused naming it`, async () => {
        const t = await target(dialect);
        const { id } = await t.sdk.create({ name: 'before' });
        for (const field of ['foo', 'id', 'created_at', 'trust_grants', 'programs', 'Name']) {
          await refusesBoth(t, id, { name: 'ok', [field]: 'x' }, field, 'raw');
        }
      });
    }

    it('an unknown external_user_details key is refused naming it', async () => {
      const t = await target('ga');
      const { id } = await t.sdk.create({ name: 'before' });
      await refusesBoth(t, id, details('phone_hash', 'x'), 'phone_hash', 'raw');
    });
  });
});
