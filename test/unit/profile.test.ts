import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyDetails, newProfile, relationshipOf, updatedProfile, type Profile, type ProfileChange } from '../../src/domain/profile.ts';
import { assertInvalid } from './assert-api-error.ts';

const CREATED = Date.UTC(2026, 8, 1, 12, 0, 0);
const LATER = CREATED + 5_000;
const ID = 'uprof_01AbCdEfGhIjKlMnOpQrStUv';
const ORG = 'org_01AbCdEfGhIjKlMnOpQrStUv';

const make = (change: ProfileChange = {}) =>
  newProfile({ name: 'Ann', metadata: { plan: 'pro' }, details: { reference_id: 'ref-1', country: 'DE' }, ...change }, ID, ORG, CREATED);
const snapshot = (profile: Profile) => structuredClone(profile);

describe('newProfile', () => {
  it('applies the defaults of an empty create', () => {
    assert.deepEqual(newProfile({}, ID, ORG, CREATED), {
      id: ID, organizationId: ORG, name: null, accessType: 'application', internal: false,
      details: emptyDetails(), metadata: {}, cyber: null, efs: null, actions: [], billingAuthorized: false, createdAt: CREATED, updatedAt: CREATED,
    });
  });

  it('drops null details (a null key on create means "not set")', () => {
    const profile = newProfile({ details: { reference_id: null, country: 'DE' } }, ID, ORG, CREATED);
    assert.deepEqual(profile.details, { ...emptyDetails(), country: 'DE' });
  });
});

describe('updatedProfile: nothing changes', () => {
  const unchanged: [string, ProfileChange][] = [
    ['an empty change', {}],
    ['the same name', { name: 'Ann' }],
    ['the same metadata', { metadata: { plan: 'pro' } }],
    ['"" for an absent metadata key', { metadata: { missing: '' } }],
    ['the same detail', { details: { reference_id: 'ref-1', country: 'DE' } }],
    ['the same access type', { kind: { accessType: 'application' } }],
    ['the same relationship', { kind: { relationship: 'external' } }],
    ['all of these together', { name: 'Ann', metadata: { plan: 'pro', gone: '' }, kind: { accessType: 'application' } }],
  ];
  for (const [title, change] of unchanged) {
    it(`returns the same object with the same updatedAt for ${title}`, () => {
      const current = make();
      const before = snapshot(current);
      const next = updatedProfile(current, change, LATER);
      assert.equal(next, current);
      assert.equal(next.updatedAt, CREATED);
      assert.deepEqual(current, before);
    });
  }

  it('treats clearing an already empty name or reference as no change', () => {
    const current = make({ name: null, details: {} });
    assert.equal(updatedProfile(current, { name: null, details: { reference_id: null } }, LATER), current);
  });
});

describe('updatedProfile: something changes', () => {
  const changes: [string, ProfileChange, (p: Profile) => void][] = [
    ['the name', { name: 'Bea' }, (p) => assert.equal(p.name, 'Bea')],
    ['the name cleared', { name: null }, (p) => assert.equal(p.name, null)],
    ['a metadata value', { metadata: { plan: 'team' } }, (p) => assert.deepEqual(p.metadata, { plan: 'team' })],
    ['a metadata key added', { metadata: { seats: '3' } }, (p) => assert.deepEqual(p.metadata, { plan: 'pro', seats: '3' })],
    ['a metadata key removed', { metadata: { plan: '' } }, (p) => assert.deepEqual(p.metadata, {})],
    ['the access type', { kind: { accessType: 'passthrough' } }, (p) => assert.equal(p.accessType, 'passthrough')],
    ['the relationship to internal', { kind: { relationship: 'internal' } }, (p) => assert.equal(p.internal, true)],
    ['a detail', { details: { country: 'FR' } }, (p) => assert.equal(p.details.country, 'FR')],
    ['a new detail', { details: { onboarded_at: CREATED - 1 } }, (p) => assert.equal(p.details.onboarded_at, CREATED - 1)],
    ['the reference cleared', { details: { reference_id: null } }, (p) => assert.equal(p.details.reference_id, null)],
  ];
  for (const [title, change, check] of changes) {
    it(`moves updatedAt when ${title} changes, and leaves the rest`, () => {
      const current = make();
      const before = snapshot(current);
      const next = updatedProfile(current, change, LATER);
      assert.notEqual(next, current);
      assert.equal(next.updatedAt, LATER);
      assert.equal(next.createdAt, CREATED);
      assert.equal(next.id, ID);
      check(next);
      assert.deepEqual(current, before, 'the current profile is not mutated');
    });
  }

  it('keeps the other details when one detail changes', () => {
    const next = updatedProfile(make(), { details: { country: 'FR' } }, LATER);
    assert.deepEqual(next.details, { ...emptyDetails(), reference_id: 'ref-1', country: 'FR' });
  });

  it('never moves updatedAt backwards', () => {
    const current = { ...make(), updatedAt: LATER };
    assert.equal(updatedProfile(current, { name: 'Bea' }, CREATED).updatedAt, LATER);
  });

  it('refuses a metadata merge over 16 keys and leaves the profile as it was', () => {
    const full = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v']));
    const current = make({ metadata: full });
    const before = snapshot(current);
    assertInvalid(() => updatedProfile(current, { name: 'Bea', metadata: { extra: 'v' } }, LATER), /at most 16 keys/);
    assert.deepEqual(current, before);
  });
});

describe('relationshipOf', () => {
  it('maps the canonical pair back to the 03-24 relationship (decisions §9)', () => {
    assert.equal(relationshipOf({ accessType: 'passthrough', internal: false }), 'resold');
    assert.equal(relationshipOf({ accessType: 'passthrough', internal: true }), 'resold');
    assert.equal(relationshipOf({ accessType: 'application', internal: true }), 'internal');
    assert.equal(relationshipOf({ accessType: 'application', internal: false }), 'external');
  });
});
