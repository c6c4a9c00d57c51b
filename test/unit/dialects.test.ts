import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readProfileBody, type Dialect } from '../../src/dialects/dialect.ts';
import { ALL_DIALECTS, dialectFor } from '../../src/dialects/index.ts';
import { DETAIL_KEYS, newProfile, updatedProfile, type Profile } from '../../src/domain/profile.ts';
import { assertInvalid } from './assert-api-error.ts';

const V0324 = 'user-profiles-2026-03-24';
const V0818 = 'user-profiles-2026-08-18';
const V0904 = 'user-profiles-2026-09-04';
const GA = 'GA';
const VERSIONS = [V0324, V0818, V0904, GA] as const;
type Version = (typeof VERSIONS)[number];

const dialect = (version: Version): Dialect => {
  const found = ALL_DIALECTS.find((d) => d.beta === (version === GA ? null : version));
  assert.ok(found, version);
  return found;
};

const NOW = Date.UTC(2026, 8, 1, 12, 0, 0);
const LATER = NOW + 5_000;
const ID = 'uprof_01AbCdEfGhIjKlMnOpQrStUv';
const ORG = 'org_01AbCdEfGhIjKlMnOpQrStUv';

const read = (version: Version, body: unknown, mode: 'create' | 'update' = 'create') =>
  readProfileBody(dialect(version), body, mode, NOW);
const create = (version: Version, body: Record<string, unknown> = {}) => newProfile(read(version, body), ID, ORG, NOW);
const update = (profile: Profile, version: Version, body: Record<string, unknown>) =>
  updatedProfile(profile, read(version, body, 'update'), LATER);
const render = (profile: Profile, version: Version) => dialect(version).render(profile, 'full', NOW);

/** Which versions accept each body field (api-contract §4.2), with a valid value for it. */
const FIELDS: Record<string, { versions: Version[]; value: unknown }> = {
  name: { versions: [V0324, V0818, V0904, GA], value: 'Ann' },
  metadata: { versions: [V0324, V0818, V0904, GA], value: { plan: 'pro' } },
  external_id: { versions: [V0324, V0818], value: 'ref-1' },
  relationship: { versions: [V0324], value: 'resold' },
  access_type: { versions: [V0818, V0904, GA], value: 'passthrough' },
  external_user_onboarded_at: { versions: [V0818], value: '2026-03-15T10:00:00Z' },
  external_user_details: { versions: [V0904, GA], value: { country: 'DE' } },
};

describe('dialectFor', () => {
  it('selects GA without a user-profiles value', () => {
    for (const header of [undefined, '', ' ', 'message-batches-2024-09-24', 'message-batches-2024-09-24, files-api-2025-04-14', []]) {
      assert.equal(dialectFor(header).beta, null, JSON.stringify(header));
    }
  });

  it('selects each beta', () => {
    for (const version of [V0324, V0818, V0904]) assert.equal(dialectFor(version).beta, version);
  });

  it('lets the newest of several values win, in any order', () => {
    const orders = [
      [V0324, V0818, V0904], [V0324, V0904, V0818], [V0818, V0324, V0904],
      [V0818, V0904, V0324], [V0904, V0324, V0818], [V0904, V0818, V0324],
    ];
    for (const order of orders) assert.equal(dialectFor(order.join(',')).beta, V0904, order.join(','));
    assert.equal(dialectFor(`${V0324},${V0818}`).beta, V0818);
    assert.equal(dialectFor(`${V0818},${V0324}`).beta, V0818);
    assert.equal(dialectFor(`${V0904},${V0904}`).beta, V0904);
  });

  it('ignores spaces and unrelated betas', () => {
    assert.equal(dialectFor(`  message-batches-2024-09-24 ,${V0324} ,  ${V0818}  , files-api-2025-04-14`).beta, V0818);
    assert.equal(dialectFor(` ${V0324} `).beta, V0324);
    // what SDK ≥ 0.125 sends: the caller's value, then 08-18 appended
    assert.equal(dialectFor(`${V0904},${V0818}`).beta, V0904);
  });

  it('joins an array header (repeated header lines)', () => {
    assert.equal(dialectFor([V0324, `files-api-2025-04-14, ${V0818}`]).beta, V0818);
    assert.equal(dialectFor([V0904, V0324]).beta, V0904);
    assert.equal(dialectFor(['message-batches-2024-09-24']).beta, null);
  });

  it('refuses an unknown user-profiles value, naming it', () => {
    for (const value of ['user-profiles-2026-01-01', 'user-profiles-', 'user-profiles-2026-09-04x', 'user-profiles-latest']) {
      assertInvalid(() => dialectFor(value), new RegExp(`^anthropic-beta: unknown value "${value}"`));
      assertInvalid(() => dialectFor(`${V0904}, ${value}`), new RegExp(`"${value}"`));
      assertInvalid(() => dialectFor([V0324, value]), new RegExp(`"${value}"`));
    }
  });
});

describe('readProfileBody: fields per version', () => {
  for (const version of VERSIONS) {
    for (const [field, { versions, value }] of Object.entries(FIELDS)) {
      if (versions.includes(version)) {
        it(`${version} accepts ${field}`, () => {
          for (const mode of ['create', 'update'] as const) assert.doesNotThrow(() => read(version, { [field]: value }, mode));
        });
        continue;
      }
      it(`${version} refuses ${field}, naming the version that accepts it`, () => {
        for (const mode of ['create', 'update'] as const) {
          const error = assertInvalid(() => read(version, { name: 'Ann', [field]: value }, mode), new RegExp(`^${field}: not accepted under `));
          assert.ok(error.message.includes(version === GA ? 'the GA surface' : version), error.message);
          const accepted = error.message.slice(error.message.indexOf('accepted under', error.message.indexOf(';')));
          for (const home of versions) assert.ok(accepted.includes(home === GA ? 'the GA surface' : home), `${error.message} names ${home}`);
          for (const other of VERSIONS.filter((v) => !versions.includes(v))) {
            assert.ok(!accepted.includes(other === GA ? 'the GA surface' : other), `${error.message} does not name ${other}`);
          }
        }
      });
    }
  }

  it('reads every accepted field of a version together', () => {
    for (const version of VERSIONS) {
      const body = Object.fromEntries(Object.entries(FIELDS).filter(([, f]) => f.versions.includes(version)).map(([k, f]) => [k, f.value]));
      assert.doesNotThrow(() => read(version, body), version);
    }
  });

  it('refuses unknown fields under every version', () => {
    const unknown = ['foo', 'Name', 'id', 'type', 'trust_grants', 'programs', 'enforcement_status', 'reference_id', 'created_at'];
    for (const version of VERSIONS) {
      for (const field of unknown) {
        assertInvalid(() => read(version, { [field]: 'x' }), new RegExp(`^${field}: unknown field`));
      }
    }
  });

  it('refuses field names inherited from Object.prototype as unknown fields', () => {
    for (const version of VERSIONS) {
      for (const field of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
        assertInvalid(() => read(version, { [field]: 'x' }), new RegExp(`^${field}: unknown field`));
      }
    }
  });

  it('refuses a body that is not an object', () => {
    for (const version of VERSIONS) {
      for (const body of [null, [], 'name', 1]) assertInvalid(() => read(version, body), /^The request body must be a JSON object/);
    }
  });
});

describe('readProfileBody: nulls (decisions §12)', () => {
  it('name: null is "unset" on create and clears on update, under every version', () => {
    for (const version of VERSIONS) {
      assert.equal(create(version, { name: null }).name, null);
      const named = create(version, { name: 'Ann' });
      const cleared = update(named, version, { name: null });
      assert.equal(cleared.name, null);
      assert.equal(cleared.updatedAt, LATER);
    }
  });

  it('external_id: null is "unset" on create and clears on update (03-24, 08-18)', () => {
    for (const version of [V0324, V0818] as const) {
      assert.equal(render(create(version, { external_id: null }), version).external_id, null);
      const withRef = create(version, { external_id: 'ref-1' });
      assert.equal(render(withRef, version).external_id, 'ref-1');
      const cleared = update(withRef, version, { external_id: null });
      assert.equal(render(cleared, version).external_id, null);
      assert.equal(cleared.details.reference_id, null);
    }
  });

  it('access_type / relationship: null is refused on create and leaves the value on update', () => {
    const kinds: [Version, string, string][] = [
      [V0324, 'relationship', 'resold'], [V0818, 'access_type', 'passthrough'],
      [V0904, 'access_type', 'passthrough'], [GA, 'access_type', 'passthrough'],
    ];
    for (const [version, field, value] of kinds) {
      assertInvalid(() => read(version, { [field]: null }), new RegExp(`^${field}: must be a string, not null`));
      const profile = create(version, { [field]: value });
      assert.equal(update(profile, version, { [field]: null }), profile, `${version} ${field}: null changes nothing`);
      assert.equal(render(update(profile, version, { [field]: null, name: 'Bea' }), version)[field], value);
    }
  });

  it('external_user_onboarded_at: null is refused on create and update (08-18)', () => {
    for (const mode of ['create', 'update'] as const) {
      assertInvalid(() => read(V0818, { external_user_onboarded_at: null }, mode), /^external_user_onboarded_at: cannot be null/);
    }
  });

  it('external_user_details: null keys are "unset" on create (except onboarded_at) and refused on update', () => {
    for (const version of [V0904, GA] as const) {
      for (const key of DETAIL_KEYS) {
        const body = { external_user_details: { [key]: null } };
        const field = new RegExp(`^external_user_details\\.${key}: cannot be null`);
        if (key === 'onboarded_at') assertInvalid(() => read(version, body), field);
        else assert.equal(create(version, body).details[key], null, key);
        assertInvalid(() => read(version, body, 'update'), field);
      }
      const allNull = Object.fromEntries(DETAIL_KEYS.filter((k) => k !== 'onboarded_at').map((k) => [k, null]));
      assert.deepEqual(render(create(version, { external_user_details: allNull }), version).external_user_details,
        Object.fromEntries(DETAIL_KEYS.map((k) => [k, null])));
    }
  });

  it('external_user_details and metadata themselves cannot be null', () => {
    for (const mode of ['create', 'update'] as const) {
      for (const version of [V0904, GA] as const) {
        assertInvalid(() => read(version, { external_user_details: null }, mode), /^external_user_details: expected an object, got null/);
      }
      for (const version of VERSIONS) assertInvalid(() => read(version, { metadata: null }, mode), /^metadata: expected an object/);
    }
  });
});

describe('readProfileBody: external_user_details values', () => {
  it('checks each key and refuses unknown keys', () => {
    const ok = { account_status: 'active', country: 'DE', email_hash: 'e'.repeat(255), entity_type: 'non_profit', name_hash: 'n', onboarded_at: '2026-03-15T12:00:00+02:00', reference_id: 'r' };
    const profile = create(V0904, { external_user_details: ok });
    assert.deepEqual(render(profile, V0904).external_user_details, { ...ok, onboarded_at: '2026-03-15T10:00:00Z' });
    const refused: [string, unknown][] = [
      ['country', 'de'], ['country', 'DEU'], ['country', 'D'], ['account_status', 'closed'], ['entity_type', 'person'],
      ['email_hash', ''], ['email_hash', 'e'.repeat(256)], ['name_hash', 1], ['reference_id', 'r'.repeat(256)],
      ['onboarded_at', '2026-03-15'], ['onboarded_at', '2026-09-01T12:01:00.001Z'],
    ];
    for (const [key, value] of refused) {
      assertInvalid(() => read(V0904, { external_user_details: { [key]: value } }), new RegExp(`^external_user_details\\.${key}:`));
    }
    assertInvalid(() => read(V0904, { external_user_details: { email: 'x' } }), /^external_user_details\.email: unknown field/);
    assertInvalid(() => read(V0904, { external_user_details: { constructor: 'x' } }), /^external_user_details\.constructor: unknown field/);
  });

  it('replaces only the keys an update sends', () => {
    const profile = create(GA, { external_user_details: { country: 'DE', reference_id: 'r' } });
    const next = update(profile, GA, { external_user_details: { country: 'FR' } });
    assert.equal(next.details.country, 'FR');
    assert.equal(next.details.reference_id, 'r');
  });
});

describe('one datum across versions (decisions §8, §9)', () => {
  const relationshipIn0324 = (p: Profile) => render(p, V0324).relationship;
  const accessTypes = (p: Profile) => ([V0818, V0904, GA] as const).map((v) => render(p, v).access_type);

  it('maps relationship to access type', () => {
    const cases = [['external', 'application'], ['resold', 'passthrough'], ['internal', 'application']] as const;
    for (const [relationship, accessType] of cases) {
      const profile = create(V0324, { relationship });
      assert.equal(relationshipIn0324(profile), relationship);
      assert.deepEqual(accessTypes(profile), [accessType, accessType, accessType]);
    }
  });

  it('renders an access type written under any later version as a 03-24 relationship', () => {
    for (const version of [V0818, V0904, GA] as const) {
      assert.equal(relationshipIn0324(create(version, { access_type: 'passthrough' })), 'resold');
      assert.equal(relationshipIn0324(create(version, { access_type: 'application' })), 'external');
      assert.equal(relationshipIn0324(create(version)), 'external');
    }
  });

  it('keeps internal through updates that do not write the kind', () => {
    const internal = create(V0324, { relationship: 'internal' });
    const updates: [Version, Record<string, unknown>][] = [
      [V0324, { name: 'Bea' }], [V0324, { relationship: null }], [V0818, { access_type: null }], [GA, { metadata: { a: 'b' } }],
    ];
    for (const [version, body] of updates) {
      assert.equal(relationshipIn0324(update(internal, version, body)), 'internal', `${version} ${JSON.stringify(body)}`);
    }
  });

  it('clears internal when access_type is written, even to the same value', () => {
    const internal = create(V0324, { relationship: 'internal' });
    for (const version of [V0818, V0904, GA] as const) {
      const next = update(internal, version, { access_type: 'application' });
      assert.equal(relationshipIn0324(next), 'external');
      assert.equal(next.updatedAt, LATER, 'a stored value changed');
      assert.equal(relationshipIn0324(update(internal, version, { access_type: 'passthrough' })), 'resold');
    }
  });

  it('switches between relationships under 03-24', () => {
    const resold = create(V0324, { relationship: 'resold' });
    const internal = update(resold, V0324, { relationship: 'internal' });
    assert.equal(relationshipIn0324(internal), 'internal');
    assert.deepEqual(accessTypes(internal), ['application', 'application', 'application']);
    assert.equal(relationshipIn0324(update(internal, V0324, { relationship: 'external' })), 'external');
    assert.equal(relationshipIn0324(update(internal, V0324, { relationship: 'resold' })), 'resold');
  });

  it('shows external_id as reference_id and back', () => {
    const viaLegacy = create(V0818, { external_id: 'ref-1' });
    for (const version of [V0904, GA] as const) {
      assert.equal((render(viaLegacy, version).external_user_details as Record<string, unknown>).reference_id, 'ref-1');
    }
    const viaDetails = create(V0904, { external_user_details: { reference_id: 'ref-2' } });
    assert.equal(render(viaDetails, V0324).external_id, 'ref-2');
    assert.equal(render(viaDetails, V0818).external_id, 'ref-2');
  });

  it('shows external_user_onboarded_at as onboarded_at, in UTC', () => {
    const profile = create(V0818, { external_user_onboarded_at: '2026-03-15T12:00:00.250+02:00' });
    assert.equal(render(profile, V0818).external_user_onboarded_at, '2026-03-15T10:00:00.250Z');
    assert.equal((render(profile, GA).external_user_details as Record<string, unknown>).onboarded_at, '2026-03-15T10:00:00.250Z');
    const viaDetails = create(V0904, { external_user_details: { onboarded_at: '2026-03-15T10:00:00Z' } });
    assert.equal(render(viaDetails, V0818).external_user_onboarded_at, '2026-03-15T10:00:00Z');
  });
});

describe('render shapes (decisions §30)', () => {
  const STAMP = '2026-09-01T12:00:00Z';
  const NULL_DETAILS = { account_status: null, country: null, email_hash: null, entity_type: null, name_hash: null, onboarded_at: null, reference_id: null };
  const common = { id: ID, type: 'user_profile', name: null, metadata: {}, created_at: STAMP, updated_at: STAMP };
  const EMPTY: Record<Version, Record<string, unknown>> = {
    [V0324]: { ...common, relationship: 'external', external_id: null, trust_grants: {} },
    [V0818]: { ...common, access_type: 'application', external_id: null, external_user_onboarded_at: null, trust_grants: {} },
    [V0904]: { ...common, access_type: 'application', external_user_details: NULL_DETAILS, trust_grants: {} },
    [GA]: {
      ...common, access_type: 'application', external_user_details: NULL_DETAILS,
      programs: { cyber: null, efs: null }, enforcement_status: 'unrestricted', enforcement_actions: [],
    },
  };

  for (const version of VERSIONS) {
    it(`${version}: every field present, null when unset, in both views`, () => {
      const profile = create(version);
      assert.deepEqual(dialect(version).render(profile, 'full', NOW), EMPTY[version]);
      assert.deepEqual(dialect(version).render(profile, 'list', NOW), EMPTY[version]);
    });

    it(`${version}: the same key set when everything is set`, () => {
      const full = newProfile({
        name: 'Ann', metadata: { plan: 'pro' }, kind: { accessType: 'passthrough' },
        details: { account_status: 'active', country: 'DE', email_hash: 'e', entity_type: 'business', name_hash: 'n', onboarded_at: NOW - 1, reference_id: 'r' },
      }, ID, ORG, NOW);
      const rendered = render(full, version);
      assert.deepEqual(Object.keys(rendered).sort(), Object.keys(EMPTY[version]).sort());
      assert.equal(rendered.name, 'Ann');
      assert.deepEqual(rendered.metadata, { plan: 'pro' });
      if ('external_user_details' in rendered) {
        assert.deepEqual(Object.keys(rendered.external_user_details as object).sort(), [...DETAIL_KEYS].sort());
        assert.ok(Object.values(rendered.external_user_details as object).every((v) => v !== null));
      }
    });
  }

  it('renders updated_at with milliseconds when it has them', () => {
    const next = updatedProfile(create(GA), { name: 'Bea' }, NOW + 1_234);
    assert.equal(render(next, GA).updated_at, '2026-09-01T12:00:01.234Z');
    assert.equal(render(next, GA).created_at, STAMP);
  });
});
