import { formatTimestamp } from '../../src/domain/time.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newAction, reviewIdentityCheck, submitIdentityCheck } from '../../src/domain/enforcement.ts';
import { describeChange } from '../../src/domain/history.ts';
import { awaitsReview, newProfile, updatedProfile, withStanding, type Profile } from '../../src/domain/profile.ts';
import { applyForCyber, applyForEfs, decideCyber, decideEfs, type CyberDecision, type CyberProgram } from '../../src/domain/programs.ts';

const CREATED = Date.UTC(2026, 8, 1, 12, 0, 0);
const LATER = CREATED + 5_000;
const ID = 'uprof_01AbCdEfGhIjKlMnOpQrStUv';
const ORG = 'org_01AbCdEfGhIjKlMnOpQrStUv';

const base = () => newProfile({ name: 'Ann', metadata: { plan: 'pro' }, details: { country: 'DE' } }, ID, ORG, CREATED);
const events = (before: Profile | null, after: Profile | null) => describeChange(before, after).map((e) => e.event);

function cyberDecided(current: CyberProgram | null, decision: CyberDecision): CyberProgram {
  const result = decideCyber(current, decision);
  assert.notEqual(typeof result, 'string');
  return result as CyberProgram;
}

const restriction = (id: string, over: { clearable?: boolean; expiresAt?: number | null } = {}) =>
  newAction({ id, type: 'restriction', reason: 'fraud_or_abuse', clearable: over.clearable ?? true, expiresAt: over.expiresAt ?? null }, CREATED);

describe('describeChange: create and delete', () => {
  it('create → profile.created with the name', () => {
    assert.deepEqual(describeChange(null, base()), [{ event: 'profile.created', detail: { name: 'Ann' } }]);
    assert.deepEqual(describeChange(null, newProfile({}, ID, ORG, CREATED)), [{ event: 'profile.created', detail: { name: null } }]);
  });

  it('delete → profile.deleted (and nothing about its open actions)', () => {
    const profile = { ...base(), actions: [restriction('enac_1')] };
    assert.deepEqual(describeChange(profile, null), [{ event: 'profile.deleted', detail: {} }]);
  });

  it('nothing before and after → no entries', () => {
    assert.deepEqual(describeChange(null, null), []);
  });
});

describe('describeChange: nothing changed', () => {
  it('the same profile, or an equal copy → no entries', () => {
    const profile = {
      ...base(),
      cyber: cyberDecided(null, { status: 'active', tiers: { a: { active: true } } }),
      efs: decideEfs(null, { status: 'pending' }),
      actions: [restriction('enac_1')],
    };
    assert.deepEqual(describeChange(profile, profile), []);
    assert.deepEqual(describeChange(profile, structuredClone(profile)), []);
  });

  it('only updated_at moved → no entries', () => {
    assert.deepEqual(describeChange(base(), { ...base(), updatedAt: LATER }), []);
  });

  it('an update that changes no stored value → no entries', () => {
    const before = base();
    assert.deepEqual(describeChange(before, updatedProfile(before, { name: 'Ann', metadata: { gone: '' } }, LATER)), []);
  });
});

describe('describeChange: field updates', () => {
  it('lists every changed field in one profile.updated entry', () => {
    const before = base();
    const after = updatedProfile(
      before,
      { name: 'Bea', kind: { accessType: 'passthrough' }, details: { country: 'FR', reference_id: 'r-1' }, metadata: { tier: 'gold' } },
      LATER,
    );
    assert.deepEqual(describeChange(before, after), [
      {
        event: 'profile.updated',
        detail: { fields: ['name', 'access_type', 'external_user_details.country', 'external_user_details.reference_id', 'metadata'] },
      },
    ]);
  });

  it('a single field', () => {
    const before = base();
    assert.deepEqual(describeChange(before, updatedProfile(before, { metadata: { plan: '' } }, LATER)), [
      { event: 'profile.updated', detail: { fields: ['metadata'] } },
    ]);
    assert.deepEqual(describeChange(before, updatedProfile(before, { name: null }, LATER)), [
      { event: 'profile.updated', detail: { fields: ['name'] } },
    ]);
  });

  it('the legacy relationship internal counts as an access_type change', () => {
    const before = base();
    assert.deepEqual(describeChange(before, updatedProfile(before, { kind: { relationship: 'internal' } }, LATER)), [
      { event: 'profile.updated', detail: { fields: ['access_type'] } },
    ]);
  });
});

describe('describeChange: programs', () => {
  it('a first cyber application: application submitted and status null → pending', () => {
    const before = base();
    const after = { ...before, cyber: applyForCyber(null, ['a', 'b'], LATER) };
    assert.deepEqual(describeChange(before, after), [
      { event: 'cyber.application_submitted', detail: { requested: ['a', 'b'] } },
      { event: 'cyber.status_changed', detail: { from: null, to: 'pending' } },
    ]);
  });

  it('a first EFS application', () => {
    const before = base();
    const after = { ...before, efs: applyForEfs(null, ['cmek'], LATER) };
    assert.deepEqual(describeChange(before, after), [
      { event: 'efs.application_submitted', detail: { requested: ['cmek'] } },
      { event: 'efs.status_changed', detail: { from: null, to: 'pending' } },
    ]);
  });

  it('approving an application: reviewed, status pending → active, grants changed', () => {
    const before = { ...base(), cyber: applyForCyber(null, ['a'], CREATED) };
    const after = { ...before, cyber: cyberDecided(before.cyber, { status: 'active', tiers: { a: { active: true } } }) };
    assert.deepEqual(describeChange(before, after), [
      { event: 'cyber.application_reviewed', detail: {} },
      { event: 'cyber.status_changed', detail: { from: 'pending', to: 'active' } },
      { event: 'cyber.grants_changed', detail: { active: ['a'] } },
    ]);
  });

  it('approving EFS features', () => {
    const before = { ...base(), efs: applyForEfs(null, ['cmek', 'storage'], CREATED) };
    const after = { ...before, efs: decideEfs(before.efs, { status: 'active', features: { cmek: true, storage: true } }) };
    assert.deepEqual(describeChange(before, after), [
      { event: 'efs.application_reviewed', detail: {} },
      { event: 'efs.status_changed', detail: { from: 'pending', to: 'active' } },
      { event: 'efs.grants_changed', detail: { active: ['cmek', 'storage'] } },
    ]);
  });

  it('a tier added while active: grants changed only', () => {
    const active = cyberDecided(null, { status: 'active', tiers: { a: { active: true } } });
    const before = { ...base(), cyber: active };
    const after = { ...before, cyber: cyberDecided(active, { status: 'active', tiers: { c: { active: true } } }) };
    assert.deepEqual(describeChange(before, after), [{ event: 'cyber.grants_changed', detail: { active: ['a', 'c'] } }]);
  });

  it('a requirement or waiver change alone is a grants change', () => {
    const active = cyberDecided(null, { status: 'active', tiers: { b: { active: true } } });
    const before = { ...base(), cyber: active };
    const after = { ...before, cyber: cyberDecided(active, { status: 'active', tiers: { b: { requires: { data_retention: true, human_review: false } } } }) };
    assert.deepEqual(describeChange(before, after), [{ event: 'cyber.grants_changed', detail: { active: ['b'] } }]);
  });

  it('a rejection withdrawing tiers: status and grants', () => {
    const active = cyberDecided(null, { status: 'active', tiers: { a: { active: true } } });
    const before = { ...base(), cyber: active };
    const after = { ...before, cyber: cyberDecided(active, { status: 'rejected' }) };
    assert.deepEqual(describeChange(before, after), [
      { event: 'cyber.status_changed', detail: { from: 'active', to: 'rejected' } },
      { event: 'cyber.grants_changed', detail: { active: [] } },
    ]);
  });

  it('re-applying while active: application submitted, nothing else', () => {
    const active = cyberDecided(null, { status: 'active', earlierModels: true });
    const before = { ...base(), cyber: active };
    const after = { ...before, cyber: applyForCyber(active, ['b'], LATER) };
    assert.deepEqual(describeChange(before, after), [{ event: 'cyber.application_submitted', detail: { requested: ['b'] } }]);
  });

  it('the same decision twice: no entries', () => {
    const active = cyberDecided(null, { status: 'active', tiers: { a: { active: true } } });
    const again = cyberDecided(active, { status: 'active', tiers: { a: { active: true } } });
    assert.deepEqual(describeChange({ ...base(), cyber: active }, { ...base(), cyber: again }), []);
  });
});

describe('describeChange: enforcement', () => {
  it('opened: id, type, reason, clearable, expires_at', () => {
    const before = base();
    const opened = restriction('enac_1', { clearable: false, expiresAt: LATER });
    const ban = newAction({ id: 'enac_2', type: 'ban', reason: 'high_harm', clearable: false, expiresAt: null }, CREATED);
    assert.deepEqual(describeChange(before, { ...before, actions: [opened, ban] }), [
      { event: 'enforcement.opened', detail: { id: 'enac_1', type: 'restriction', reason: 'fraud_or_abuse', clearable: false, expires_at: formatTimestamp(LATER) } },
      { event: 'enforcement.opened', detail: { id: 'enac_2', type: 'ban', reason: 'high_harm', clearable: false, expires_at: null } },
    ]);
  });

  it('resolved: id and type', () => {
    const kept = restriction('enac_1');
    const gone = restriction('enac_2');
    const before = { ...base(), actions: [kept, gone] };
    assert.deepEqual(describeChange(before, { ...before, actions: [kept] }), [
      { event: 'enforcement.resolved', detail: { id: 'enac_2', type: 'restriction' } },
    ]);
  });

  it('identity check submitted, failed, then passed (= resolved)', () => {
    const before = { ...base(), actions: [restriction('enac_1')] };
    const submitted = { ...before, actions: submitIdentityCheck(before.actions, LATER) };
    assert.deepEqual(describeChange(before, submitted), [{ event: 'identity_check.submitted', detail: { id: 'enac_1' } }]);

    const failed = { ...submitted, actions: reviewIdentityCheck(submitted.actions, 'enac_1', false)! };
    assert.deepEqual(describeChange(submitted, failed), [{ event: 'identity_check.failed', detail: { id: 'enac_1' } }]);

    const passed = { ...submitted, actions: reviewIdentityCheck(submitted.actions, 'enac_1', true)! };
    assert.deepEqual(describeChange(submitted, passed), [{ event: 'enforcement.resolved', detail: { id: 'enac_1', type: 'restriction' } }]);
  });

  it('one change touching fields, a program and enforcement: entries in that order', () => {
    const before = base();
    const after = {
      ...updatedProfile(before, { name: 'Bea' }, LATER),
      efs: decideEfs(null, { status: 'rejected' }),
      actions: [restriction('enac_1')],
    };
    assert.deepEqual(events(before, after), ['profile.updated', 'efs.status_changed', 'enforcement.opened']);
  });
});

describe('withStanding (decisions §15)', () => {
  it('moves updated_at when programs or actions change', () => {
    const before = base();
    const cyber = applyForCyber(null, ['a'], LATER);
    assert.equal(withStanding(before, { cyber }, LATER).updatedAt, LATER);
    assert.equal(withStanding(before, { actions: [restriction('enac_1')] }, LATER).updatedAt, LATER);
    assert.equal(withStanding(before, { efs: decideEfs(null, { status: 'pending' }) }, LATER).updatedAt, LATER);
  });

  it('returns the very same profile when nothing changes', () => {
    const before = { ...base(), actions: [restriction('enac_1')] };
    assert.equal(withStanding(before, { actions: structuredClone(before.actions), cyber: null }, LATER), before);
  });

  it('never moves updated_at backwards', () => {
    const before = { ...base(), updatedAt: LATER };
    assert.equal(withStanding(before, { cyber: applyForCyber(null, ['a'], CREATED) }, CREATED).updatedAt, LATER);
  });
});

describe('awaitsReview', () => {
  it('false for a profile with nothing awaiting the provider', () => {
    assert.equal(awaitsReview(base()), false);
    assert.equal(awaitsReview({ ...base(), actions: [restriction('enac_1')] }), false);
    assert.equal(awaitsReview({ ...base(), cyber: cyberDecided(null, { status: 'rejected' }) }), false);
  });

  it('true with a cyber or EFS application, or an identity check in review', () => {
    assert.equal(awaitsReview({ ...base(), cyber: applyForCyber(null, ['a'], LATER) }), true);
    assert.equal(awaitsReview({ ...base(), efs: applyForEfs(null, ['cmek'], LATER) }), true);
    assert.equal(awaitsReview({ ...base(), actions: submitIdentityCheck([restriction('enac_1')], LATER) }), true);
  });
});
