/**
 * The fixture format (docs/fixtures.md): every rule, on both sides of its limit, and refusals that name the
 * item. Reading is pure; what loading does with the database is in test/e2e/fixtures.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadFixtureDocument, namedFixtures } from '../../src/fixtures/index.ts';
import { FixtureError, readFixture } from '../../src/fixtures/read.ts';

const NOW = Date.parse('2026-11-01T12:00:00Z');
const ID = 'uprof_011CZkZCu8hGbp5mYRQgUmz9';

type Doc = { organizations: any[]; [key: string]: unknown };

/** A valid document; each test changes one thing in a copy. */
function base(): Doc {
  return {
    organizations: [{
      name: 'Acme',
      workspaces: ['Staging'],
      keys: [{ secret: 'sk-test-0123456789abcdef' }],
      profiles: [{ id: ID, name: 'Example User' }],
      webhooks: [{ id: 'whep_011CZkZCu8hGbp5mYRQgUmz9', url: 'https://example.com/hook', enabled_events: ['user_profile.created'] }],
    }],
  };
}

const read = (doc: unknown) => readFixture('test', doc, NOW);

function refused(change: (doc: Doc) => void, message: RegExp): void {
  const doc = base();
  change(doc);
  assert.throws(() => read(doc), (error: unknown) => {
    assert.ok(error instanceof FixtureError, `a FixtureError, got ${error}`);
    assert.match(error.message, message);
    return true;
  });
}

function accepted(change: (doc: Doc) => void) {
  const doc = base();
  change(doc);
  return read(doc).organizations[0];
}

const org = (doc: Doc) => doc.organizations[0];
const profile = (doc: Doc) => doc.organizations[0].profiles[0];
const chars = (n: number, c = 'a') => c.repeat(n);

describe('readFixture: the document', () => {
  it('reads a valid document', () => {
    const [acme] = read(base()).organizations;
    assert.equal(acme.name, 'Acme');
    assert.deepEqual(acme.workspaces, [{ name: 'Staging', id: null }]);
    assert.deepEqual(acme.keys, [{ secret: 'sk-test-0123456789abcdef', role: 'platform', workspace: null, id: null }]);
    assert.equal(acme.profiles[0].state.id, ID);
    assert.equal(acme.profiles[0].state.accessType, 'application');
    assert.equal(acme.webhooks[0].state, 'enabled');
  });

  it('refuses anything but an object with organizations, and unknown keys', () => {
    for (const doc of [null, [], 'x', {}, { organizations: {} }]) assert.throws(() => read(doc), FixtureError);
    assert.throws(() => read({ organizations: [] }), /name at least one organization/);
    refused((d) => (d.version = 2), /fixture: version: unknown field/);
    assert.ok(read({ description: 'free text', organizations: base().organizations }));
  });

  it('refuses the same organization, key secret, profile, action or endpoint twice, naming both places', () => {
    refused((d) => d.organizations.push({ name: 'Acme' }), /organizations\[1\] "Acme": the organization name "Acme" is also used by organizations\[0\]/);
    refused((d) => d.organizations.push({ name: 'Other', keys: [{ secret: 'sk-test-0123456789abcdef' }] }), /key secret \(not shown\) is also used by organizations\[0\] "Acme" › keys\[0\]/);
    refused((d) => d.organizations.push({ name: 'Other', profiles: [{ id: ID }] }), /profile id .* is also used/);
    refused((d) => org(d).profiles.push({ id: ID }), /profiles\[1\]: the id uprof_011CZkZCu8hGbp5mYRQgUmz9 appears twice/);
    refused((d) => org(d).webhooks.push({ ...org(d).webhooks[0] }), /webhooks\[1\]: the id .* appears twice/);
    refused((d) => org(d).workspaces.push('Staging'), /the workspace "Staging" appears twice/);
  });
});

describe('readFixture: organizations, workspaces and keys', () => {
  it('names: 1 to 255 characters', () => {
    assert.equal(accepted((d) => (org(d).name = chars(255))).name.length, 255);
    refused((d) => (org(d).name = chars(256)), /organizations\[0\] "a+": name: must be at most 255/);
    refused((d) => (org(d).name = ' '), /name: expected a non-empty string/);
    refused((d) => delete org(d).name, /organizations\[0\]: name: required/);
  });

  it('ids: chosen ids must have the id shape of their kind', () => {
    assert.equal(accepted((d) => (org(d).id = 'org_011CZkZCu8hGbp5mYRQgUmz9')).id, 'org_011CZkZCu8hGbp5mYRQgUmz9');
    refused((d) => (org(d).id = 'org_123'), /id: must be an id of the form org_01/);
    refused((d) => (org(d).id = 'wrkspc_011CZkZCu8hGbp5mYRQgUmz9'), /id: must be an id of the form org_01/);
    refused((d) => (org(d).workspaces = [{ name: 'Default', id: 'wrkspc_1' }]), /workspaces\[0\] "Default": id/);
  });

  it('key secrets: 16 to 128 visible ASCII characters', () => {
    assert.equal(accepted((d) => (org(d).keys[0].secret = chars(16))).keys[0].secret.length, 16);
    assert.equal(accepted((d) => (org(d).keys[0].secret = chars(128))).keys[0].secret.length, 128);
    refused((d) => (org(d).keys[0].secret = chars(15)), /keys\[0\]: secret: must be 16 to 128 visible ASCII/);
    refused((d) => (org(d).keys[0].secret = chars(129)), /keys\[0\]: secret/);
    refused((d) => (org(d).keys[0].secret = 'sk-test 0123456789abcdef'), /keys\[0\]: secret/);
    refused((d) => (org(d).keys[0].secret = 'sk-test-0123456789abcdé'), /keys\[0\]: secret/);
  });

  it('key roles and workspaces: a known role, and a workspace of the organization', () => {
    for (const role of ['platform', 'admin', 'operator']) assert.equal(accepted((d) => (org(d).keys[0].role = role)).keys[0].role, role);
    refused((d) => (org(d).keys[0].role = 'owner'), /keys\[0\]: role: must be one of "platform", "admin", "operator"/);
    assert.equal(accepted((d) => (org(d).keys[0].workspace = 'Staging')).keys[0].workspace, 'Staging');
    assert.equal(accepted((d) => (org(d).keys[0].workspace = 'Default')).keys[0].workspace, 'Default');
    refused((d) => (org(d).keys[0].workspace = 'Production'), /keys\[0\]: workspace: "Production" is not one of this organization's workspaces/);
  });
});

describe('readFixture: profiles', () => {
  it("accepts the hosted API's example id, and refuses what could never be an id", () => {
    assert.equal(accepted(() => {}).profiles[0].state.id, ID);
    for (const id of ['uprof_011CZkZCu8hGbp5mYRQgUmz', 'uprof_011CZkZCu8hGbp5mYRQgUmz9x', 'uprof_021CZkZCu8hGbp5mYRQgUmz9', 'user_011CZkZCu8hGbp5mYRQgUmz9']) {
      refused((d) => (profile(d).id = id), /profiles\[0\] ".*": id: must be an id of the form uprof_01/);
    }
    refused((d) => delete profile(d).id, /profiles\[0\]: id: required/);
  });

  it('reads the platform fields with the API readers: name, metadata, details, access type', () => {
    assert.equal(accepted((d) => (profile(d).name = chars(255))).profiles[0].state.name!.length, 255);
    refused((d) => (profile(d).name = chars(256)), /profiles\[0\] "uprof_011CZkZCu8hGbp5mYRQgUmz9": name: must be at most 255/);
    const sixteen = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v']));
    assert.equal(Object.keys(accepted((d) => (profile(d).metadata = sixteen)).profiles[0].state.metadata).length, 16);
    refused((d) => (profile(d).metadata = { ...sixteen, k16: 'v' }), /metadata: at most 16 keys/);
    refused((d) => (profile(d).metadata = { plan: '' }), /metadata.plan: values must be non-empty/);
    refused((d) => (profile(d).metadata = { [chars(65)]: 'v' }), /metadata: key .* longer than 64/);
    refused((d) => (profile(d).metadata = { plan: chars(513) }), /metadata.plan: must be at most 512/);
    refused((d) => (profile(d).external_user_details = { country: 'de' }), /external_user_details.country: must be an ISO 3166-1 alpha-2/);
    refused((d) => (profile(d).external_user_details = { color: 'red' }), /external_user_details.color: unknown field/);
    const details = accepted((d) => (profile(d).external_user_details = { reference_id: 'user_12345', country: 'DE' })).profiles[0].state.details;
    assert.equal(details.reference_id, 'user_12345');
    assert.equal(details.country, 'DE');
    refused((d) => (profile(d).nickname = 'x'), /nickname: unknown field/);
    refused((d) => (profile(d).external_id = 'x'), /external_id: unknown field/);
  });

  it('takes an access type or a relationship (the only way to say internal), not both', () => {
    assert.equal(accepted((d) => (profile(d).access_type = 'passthrough')).profiles[0].state.accessType, 'passthrough');
    const internal = accepted((d) => (profile(d).relationship = 'internal')).profiles[0].state;
    assert.deepEqual([internal.accessType, internal.internal], ['application', true]);
    assert.equal(accepted((d) => (profile(d).relationship = 'resold')).profiles[0].state.accessType, 'passthrough');
    refused((d) => Object.assign(profile(d), { access_type: 'application', relationship: 'external' }), /give one of them/);
    refused((d) => (profile(d).access_type = 'reseller'), /access_type: must be one of/);
  });

  it('timestamps: complete RFC 3339, at most a minute ahead, updated_at not before created_at', () => {
    const ok = accepted((d) => Object.assign(profile(d), { created_at: '2026-03-15T10:00:00Z', updated_at: '2026-03-15T11:00:00+01:00' })).profiles[0];
    assert.equal(ok.createdAt, Date.parse('2026-03-15T10:00:00Z'));
    assert.equal(ok.updatedAt, ok.createdAt);
    assert.equal(accepted((d) => (profile(d).created_at = new Date(NOW + 60_000).toISOString())).profiles[0].createdAt, NOW + 60_000);
    refused((d) => (profile(d).created_at = new Date(NOW + 60_001).toISOString()), /created_at: must not be more than 1 minute in the future/);
    refused((d) => (profile(d).created_at = '2026-03-15'), /created_at: must be a complete RFC 3339 timestamp/);
    refused((d) => Object.assign(profile(d), { created_at: '2026-03-15T10:00:00Z', updated_at: '2026-03-15T09:59:59Z' }), /updated_at: must not be before created_at/);
    const unset = accepted(() => {}).profiles[0];
    assert.deepEqual([unset.createdAt, unset.updatedAt], [null, null], 'left out: decided when loading');
  });

  it('programs: what the operator API accepts, and only coherent states', () => {
    const cyber = accepted((d) => (profile(d).programs = { cyber: { status: 'active', tiers: { b: { status: 'active', requirements: { data_retention: true } } } } }))
      .profiles[0].state.cyber!;
    assert.equal(cyber.status, 'active');
    assert.deepEqual([cyber.tiers.a.active, cyber.tiers.b.active, cyber.tiers.b.requires.data_retention], [false, true, true]);
    refused((d) => (profile(d).programs = { cyber: { status: 'active' } }), /programs.cyber: an active cyber program needs at least one active tier/);
    refused((d) => (profile(d).programs = { cyber: { status: 'granted' } }), /programs.cyber: status: must be one of/);
    refused((d) => (profile(d).programs = { cyber: { status: 'active', tiers: { d: {} } } }), /programs.cyber: tiers.d: unknown field/);
    const efs = accepted((d) => (profile(d).programs = { efs: { status: 'active', features: { cmek: 'active' } } })).profiles[0].state.efs!;
    assert.deepEqual(efs.features, { data_retention_exemption: false, cmek: true, storage: false });
    refused((d) => (profile(d).programs = { trust: {} }), /programs.trust: unknown field/);
  });

  it('enforcement actions: chosen ids, the contract rules, an identity check only where one can be taken', () => {
    const action = { id: 'enac_011CZkZCu8hGbp5mYRQgUmz9', type: 'restriction', reason: 'fraud_or_abuse', clearable: true };
    const read1 = accepted((d) => (profile(d).enforcement_actions = [{ ...action, identity_check: 'submitted', opened_at: '2026-10-01T00:00:00Z' }])).profiles[0];
    assert.equal(read1.state.actions[0].checkSubmitted, true);
    assert.equal(read1.state.actions[0].openedAt, Date.parse('2026-10-01T00:00:00Z'));
    assert.equal(read1.openedAtUnset.size, 0);
    assert.deepEqual([...accepted((d) => (profile(d).enforcement_actions = [action])).profiles[0].openedAtUnset], [action.id]);
    refused((d) => (profile(d).enforcement_actions = [{ ...action, id: 'enac_1' }]), /enforcement_actions\[0\].id: must be an id of the form enac_01/);
    refused((d) => (profile(d).enforcement_actions = [{ type: 'ban', reason: 'high_harm' }]), /enforcement_actions\[0\].id: required/);
    refused((d) => (profile(d).enforcement_actions = [{ ...action, type: 'ban', clearable: false, expires_at: '2027-01-01T00:00:00Z' }]), /bans and account_compromise restrictions never expire/);
    refused((d) => (profile(d).enforcement_actions = [{ ...action, type: 'ban' }]), /a ban cannot be cleared/);
    refused((d) => (profile(d).enforcement_actions = [{ ...action, clearable: false, identity_check: 'submitted' }]), /only a clearable restriction can have an identity check/);
    refused((d) => (profile(d).enforcement_actions = [action, action]), /enforcement_actions\[1\].id: enac_011CZkZCu8hGbp5mYRQgUmz9 appears twice/);
  });
});

describe('readFixture: webhook endpoints', () => {
  it('reads them with the API readers, and a chosen signing secret only in the shape the SDK verifies', () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    assert.equal(accepted((d) => (org(d).webhooks[0].signing_secret = secret)).webhooks[0].signingSecret, secret);
    assert.ok(accepted((d) => (org(d).webhooks[0].signing_secret = `whsec_${Buffer.alloc(24).toString('base64')}`)));
    assert.ok(accepted((d) => (org(d).webhooks[0].signing_secret = `whsec_${Buffer.alloc(64).toString('base64')}`)));
    for (const bad of [`whsec_${Buffer.alloc(23).toString('base64')}`, `whsec_${Buffer.alloc(65).toString('base64')}`, `whsec_${Buffer.alloc(32).toString('base64url')}_`, Buffer.alloc(32).toString('base64')]) {
      refused((d) => (org(d).webhooks[0].signing_secret = bad), /webhooks\[0\] "whep_011CZkZCu8hGbp5mYRQgUmz9": signing_secret/);
    }
    refused((d) => (org(d).webhooks[0].url = 'http://example.com/hook'), /url: must use https:\/\//);
    assert.ok(accepted((d) => (org(d).webhooks[0].url = 'http://127.0.0.1:9/hook')));
    refused((d) => (org(d).webhooks[0].enabled_events = ['user_profile.exploded']), /enabled_events\[0\]: must be one of/);
    refused((d) => (org(d).webhooks[0].state = 'paused'), /state: must be one of "enabled", "disabled"/);
    refused((d) => delete org(d).webhooks[0].id, /webhooks\[0\]: id: required/);
  });
});

describe('named fixtures', () => {
  it('ship sdk-examples: the SDK suites\' key and the documented example profile', () => {
    assert.ok(namedFixtures().includes('sdk-examples'));
    const [examples] = loadFixtureDocument('sdk-examples', NOW).organizations;
    assert.ok(examples.keys.some((k) => k.secret === 'my-anthropic-api-key' && k.role === 'platform' && k.workspace === null));
    const [example] = examples.profiles;
    assert.equal(example.state.id, ID);
    assert.equal(example.state.name, 'Example User');
    assert.equal(example.state.details.reference_id, 'user_12345');
    assert.deepEqual([example.state.accessType, example.state.internal], ['application', false], 'relationship external = access type application');
    assert.equal(example.state.cyber?.status, 'active');
    assert.deepEqual([example.createdAt, example.updatedAt], [Date.parse('2026-03-15T10:00:00Z'), Date.parse('2026-03-15T10:00:00Z')]);
  });

  it('refuse a name that is neither a named fixture nor a file', () => {
    assert.throws(() => loadFixtureDocument('no-such-fixture', NOW), /no named fixture "no-such-fixture" \(named fixtures: sdk-examples\) and no file/);
  });
});

describe('docs/fixtures.md', () => {
  it('shows a fixture that reads as it says', () => {
    const doc = readFileSync(new URL('../../docs/fixtures.md', import.meta.url), 'utf8');
    const example = /```json fixture\n([\s\S]*?)\n```/.exec(doc);
    assert.ok(example, 'the example block');
    const [acme] = readFixture('docs', JSON.parse(example[1]), Date.parse('2026-11-01T00:00:00Z')).organizations;
    assert.deepEqual(acme.keys.map((k) => [k.role, k.workspace]), [['platform', null], ['platform', 'Staging'], ['admin', null], ['operator', null]]);
    assert.equal(acme.profiles[0].state.actions[0].checkSubmitted, true);
    assert.equal(acme.webhooks[0].signingSecret, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  });
});
