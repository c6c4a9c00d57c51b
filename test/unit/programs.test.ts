import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyForCyber, applyForEfs, cyberProblem, cyberRequirements, decideCyber, decideEfs, inactiveFeatures, inactiveTiers,
  renderPrograms, renderTrustGrants,
  type CyberProgram, type CyberTier, type CyberTierState, type EfsProgram, type RequirementFlags,
} from '../../src/domain/programs.ts';

const NOW = Date.UTC(2026, 10, 2, 8, 0, 0);

const flags = (data_retention = false, human_review = false): RequirementFlags => ({ data_retention, human_review });
const DR = flags(true, false);
const HR = flags(false, true);
const BOTH = flags(true, true);

/** A cyber program: `tiers` patches the all-inactive defaults. */
function cyber(over: Partial<Omit<CyberProgram, 'tiers'>> = {}, tiers: Partial<Record<CyberTier, Partial<CyberTierState>>> = {}): CyberProgram {
  const all = inactiveTiers();
  for (const [tier, patch] of Object.entries(tiers) as [CyberTier, Partial<CyberTierState>][]) all[tier] = { ...all[tier], ...patch };
  return { status: 'active', earlierModels: false, application: null, ...over, tiers: all };
}

function efs(over: Partial<Omit<EfsProgram, 'features'>> = {}, features: Partial<EfsProgram['features']> = {}): EfsProgram {
  return { status: 'active', application: null, ...over, features: { ...inactiveFeatures(), ...features } };
}

/** decideCyber must succeed here; returns the program. */
function decided(result: CyberProgram | string): CyberProgram {
  assert.notEqual(typeof result, 'string', `unexpected problem: ${String(result)}`);
  return result as CyberProgram;
}

const activeTiers = (program: CyberProgram) => (['a', 'b', 'c'] as const).filter((t) => program.tiers[t].active);

describe('cyberRequirements', () => {
  it('is null when no tier is active, whatever the inactive tiers require', () => {
    assert.equal(cyberRequirements(cyber({ status: 'pending' })), null);
    assert.equal(cyberRequirements(cyber({ status: 'rejected' }, { a: { requires: BOTH }, b: { requires: DR } })), null);
  });

  it('is null with earlier-model access alone (no tier active)', () => {
    assert.equal(cyberRequirements(cyber({ earlierModels: true }, { a: { requires: BOTH } })), null);
  });

  it('is all false for an active tier without requirements', () => {
    assert.deepEqual(cyberRequirements(cyber({}, { a: { active: true } })), flags());
  });

  it("reports an active tier's requirements", () => {
    assert.deepEqual(cyberRequirements(cyber({}, { b: { active: true, requires: DR } })), DR);
    assert.deepEqual(cyberRequirements(cyber({}, { c: { active: true, requires: HR } })), HR);
  });

  it('ORs the requirements over the active tiers', () => {
    assert.deepEqual(cyberRequirements(cyber({}, { a: { active: true, requires: DR }, b: { active: true, requires: HR } })), BOTH);
  });

  it('ignores the requirements of inactive tiers', () => {
    assert.deepEqual(cyberRequirements(cyber({}, { a: { active: true, requires: DR }, c: { active: false, requires: HR } })), DR);
  });

  it('drops a requirement waived on the only tier that has it', () => {
    assert.deepEqual(cyberRequirements(cyber({}, { a: { active: true, requires: BOTH, waived: HR } })), DR);
    assert.deepEqual(cyberRequirements(cyber({}, { a: { active: true, requires: BOTH, waived: BOTH } })), flags());
  });

  it("keeps a requirement that another active tier has unwaived (a waiver is per tier)", () => {
    const program = cyber({}, { a: { active: true, requires: DR, waived: DR }, b: { active: true, requires: DR } });
    assert.deepEqual(cyberRequirements(program), DR);
  });

  it('ignores a waiver for a requirement the tier does not have', () => {
    assert.deepEqual(cyberRequirements(cyber({}, { a: { active: true, requires: DR, waived: HR } })), DR);
  });
});

describe('cyberProblem', () => {
  it('accepts coherent states', () => {
    assert.equal(cyberProblem(cyber({}, { a: { active: true } })), null);
    assert.equal(cyberProblem(cyber({ earlierModels: true })), null);
    assert.equal(cyberProblem(cyber({ status: 'pending' })), null);
    assert.equal(cyberProblem(cyber({ status: 'rejected' })), null);
  });

  it('refuses an active program with nothing active', () => {
    assert.match(cyberProblem(cyber()) ?? '', /active cyber program needs at least one active tier or earlier-model access/);
  });

  it('refuses a pending or rejected program holding an active tier or earlier-model access', () => {
    assert.match(cyberProblem(cyber({ status: 'pending' }, { c: { active: true } })) ?? '', /a pending cyber program cannot/);
    assert.match(cyberProblem(cyber({ status: 'rejected', earlierModels: true })) ?? '', /a rejected cyber program cannot/);
  });
});

describe('renderPrograms', () => {
  it('renders absent programs as null in both views', () => {
    assert.deepEqual(renderPrograms(null, null, 'full'), { cyber: null, efs: null });
    assert.deepEqual(renderPrograms(null, null, 'list'), { cyber: null, efs: null });
  });

  it('full: every tier key, the derived requirements, every EFS feature key', () => {
    const rendered = renderPrograms(cyber({}, { b: { active: true, requires: DR } }), efs({ status: 'pending' }), 'full');
    assert.deepEqual(rendered, {
      cyber: {
        status: 'active',
        tiers: { a: { status: 'inactive' }, b: { status: 'active' }, c: { status: 'inactive' } },
        requirements: DR,
      },
      efs: {
        status: 'pending',
        features: { data_retention_exemption: { status: 'inactive' }, cmek: { status: 'inactive' }, storage: { status: 'inactive' } },
      },
    });
  });

  it('full: requirements null when only earlier models are active; active EFS features shown', () => {
    const rendered = renderPrograms(cyber({ earlierModels: true }), efs({}, { cmek: true, storage: true }), 'full');
    assert.deepEqual(rendered.cyber, {
      status: 'active',
      tiers: { a: { status: 'inactive' }, b: { status: 'inactive' }, c: { status: 'inactive' } },
      requirements: null,
    });
    assert.deepEqual(rendered.efs?.features, {
      data_retention_exemption: { status: 'inactive' }, cmek: { status: 'active' }, storage: { status: 'active' },
    });
  });

  it('list: the true cyber status with tiers {} and requirements null; efs always null', () => {
    const program = cyber({}, { a: { active: true, requires: BOTH } });
    assert.deepEqual(renderPrograms(program, efs({}, { cmek: true }), 'list'), {
      cyber: { status: 'active', tiers: {}, requirements: null },
      efs: null,
    });
    assert.deepEqual(renderPrograms(cyber({ status: 'rejected' }), null, 'list').cyber, { status: 'rejected', tiers: {}, requirements: null });
  });
});

describe('renderTrustGrants', () => {
  it('is {} without a cyber status', () => {
    assert.deepEqual(renderTrustGrants(null), {});
  });

  for (const status of ['active', 'pending', 'rejected'] as const) {
    it(`carries a ${status} cyber status (rejected stays, decisions §20)`, () => {
      const program = status === 'active' ? cyber({}, { a: { active: true } }) : cyber({ status });
      assert.deepEqual(renderTrustGrants(program), { cyber: { status } });
    });
  }
});

describe('decideCyber', () => {
  it('activates tiers with requirements and waivers on a profile with no status yet', () => {
    const program = decided(decideCyber(null, { status: 'active', tiers: { a: { active: true, requires: BOTH, waived: HR } } }));
    assert.equal(program.status, 'active');
    assert.deepEqual(program.tiers.a, { active: true, requires: BOTH, waived: HR });
    assert.deepEqual(program.tiers.b, inactiveTiers().b);
    assert.equal(program.earlierModels, false);
    assert.equal(program.application, null);
  });

  it('refuses an active program without tiers or earlier models (a problem string, not a program)', () => {
    assert.equal(typeof decideCyber(null, { status: 'active' }), 'string');
    assert.equal(typeof decideCyber(cyber({ status: 'pending' }), { status: 'active', tiers: { a: { requires: DR } } }), 'string');
    assert.equal(typeof decideCyber(null, { status: 'active', earlierModels: false }), 'string');
  });

  it('refuses deactivating the last active tier of an active program', () => {
    const current = cyber({}, { a: { active: true } });
    assert.equal(typeof decideCyber(current, { status: 'active', tiers: { a: { active: false } } }), 'string');
  });

  it('accepts an active program with earlier-model access only', () => {
    const program = decided(decideCyber(null, { status: 'active', earlierModels: true }));
    assert.equal(program.status, 'active');
    assert.equal(program.earlierModels, true);
    assert.deepEqual(activeTiers(program), []);
  });

  it('keeps earlier-model access when an active decision does not mention it', () => {
    const program = decided(decideCyber(cyber({ earlierModels: true }), { status: 'active', tiers: { c: { active: true } } }));
    assert.equal(program.earlierModels, true);
  });

  for (const status of ['rejected', 'pending'] as const) {
    it(`${status}: withdraws every tier and earlier-model access, keeping requirement and waiver settings`, () => {
      const current = cyber({ earlierModels: true }, { a: { active: true, requires: DR, waived: DR }, b: { active: true } });
      const program = decided(decideCyber(current, { status }));
      assert.equal(program.status, status);
      assert.deepEqual(activeTiers(program), []);
      assert.equal(program.earlierModels, false);
      assert.deepEqual(program.tiers.a, { active: false, requires: DR, waived: DR });
    });

    it(`${status}: a tier patch asking for active is still withdrawn`, () => {
      const program = decided(decideCyber(null, { status, tiers: { a: { active: true } }, earlierModels: true }));
      assert.deepEqual(activeTiers(program), []);
      assert.equal(program.earlierModels, false);
    });
  }

  it('patches only the tiers named; other tiers keep their state', () => {
    const current = cyber({}, { a: { active: true, requires: DR }, c: { requires: HR } });
    const program = decided(decideCyber(current, { status: 'active', tiers: { b: { active: true, waived: HR } } }));
    assert.deepEqual(program.tiers.a, { active: true, requires: DR, waived: flags() });
    assert.deepEqual(program.tiers.b, { active: true, requires: flags(), waived: HR });
    assert.deepEqual(program.tiers.c, { active: false, requires: HR, waived: flags() });
  });

  it('merges a partial requirements or waivers patch into the tier', () => {
    const current = cyber({}, { a: { active: true, requires: DR, waived: DR } });
    const program = decided(decideCyber(current, { status: 'active', tiers: { a: { requires: { human_review: true } as RequirementFlags, waived: { data_retention: false } as RequirementFlags } } }));
    assert.deepEqual(program.tiers.a, { active: true, requires: BOTH, waived: flags() });
  });

  it('closes an open application', () => {
    const current = cyber({ status: 'pending', application: { tiers: ['a'], submittedAt: NOW } });
    assert.equal(decided(decideCyber(current, { status: 'rejected' })).application, null);
    assert.equal(decided(decideCyber(current, { status: 'active', tiers: { a: { active: true } } })).application, null);
  });

  it('does not modify the current program', () => {
    const current = cyber({}, { a: { active: true, requires: DR } });
    const copy = structuredClone(current);
    decideCyber(current, { status: 'rejected' });
    decideCyber(current, { status: 'active', tiers: { a: { requires: HR }, b: { active: true } } });
    assert.deepEqual(current, copy);
  });
});

describe('decideEfs', () => {
  it('activates the features named, from no status', () => {
    assert.deepEqual(decideEfs(null, { status: 'active', features: { cmek: true } }), efs({}, { cmek: true }));
  });

  it('patches only the features named', () => {
    const next = decideEfs(efs({}, { cmek: true }), { status: 'active', features: { storage: true } });
    assert.deepEqual(next.features, { data_retention_exemption: false, cmek: true, storage: true });
    assert.deepEqual(decideEfs(next, { status: 'active', features: { cmek: false } }).features, { data_retention_exemption: false, cmek: false, storage: true });
  });

  it('active without features: the program only (active says nothing about features)', () => {
    assert.deepEqual(decideEfs(null, { status: 'active' }), efs());
  });

  for (const status of ['pending', 'rejected'] as const) {
    it(`${status}: every feature inactive, even ones the decision asks for`, () => {
      const next = decideEfs(efs({}, { cmek: true, storage: true }), { status, features: { data_retention_exemption: true } });
      assert.deepEqual(next, efs({ status }));
    });
  }

  it('closes an open application', () => {
    const current = efs({ status: 'pending', application: { features: ['cmek'], submittedAt: NOW } });
    assert.equal(decideEfs(current, { status: 'active', features: { cmek: true } }).application, null);
  });
});

describe('applyForCyber', () => {
  it('with no status: pending, no tier active, application recorded', () => {
    assert.deepEqual(applyForCyber(null, ['a', 'c'], NOW), cyber({ status: 'pending', application: { tiers: ['a', 'c'], submittedAt: NOW } }));
  });

  for (const status of ['pending', 'rejected'] as const) {
    it(`from ${status}: pending, with the new application`, () => {
      const next = applyForCyber(cyber({ status, application: status === 'pending' ? { tiers: ['c'], submittedAt: NOW - 1 } : null }), ['b'], NOW);
      assert.equal(next.status, 'pending');
      // tiers already in review stay in review, in tier order, since their first submission
      assert.deepEqual(next.application, status === 'pending' ? { tiers: ['b', 'c'], submittedAt: NOW - 1 } : { tiers: ['b'], submittedAt: NOW });
    });
  }

  it('a rejection reason does not outlive a new application', () => {
    const next = applyForCyber(cyber({ status: 'rejected', rejectionReason: 'usage_policy' }), ['a'], NOW);
    assert.equal('rejectionReason' in next, false);
    assert.equal(applyForEfs(efs({ status: 'rejected', rejectionReason: 'usage_policy' }), ['cmek'], NOW).rejectionReason, undefined);
  });

  it('asking again for a tier in review keeps one of it', () => {
    assert.deepEqual(applyForCyber(applyForCyber(null, ['a'], NOW), ['a', 'b'], NOW + 1).application, { tiers: ['a', 'b'], submittedAt: NOW });
    assert.deepEqual(applyForEfs(applyForEfs(null, ['storage'], NOW), ['cmek'], NOW + 1).application, { features: ['cmek', 'storage'], submittedAt: NOW });
  });

  it('from active: stays active with its tiers, the application kept for review', () => {
    const current = cyber({ earlierModels: true }, { a: { active: true, requires: DR } });
    const next = applyForCyber(current, ['b'], NOW);
    assert.deepEqual(next, { ...current, application: { tiers: ['b'], submittedAt: NOW } });
  });
});

describe('applyForEfs', () => {
  it('with no status: pending, no feature active, application recorded', () => {
    assert.deepEqual(applyForEfs(null, ['cmek'], NOW), efs({ status: 'pending', application: { features: ['cmek'], submittedAt: NOW } }));
  });

  it('from rejected: pending', () => {
    assert.equal(applyForEfs(efs({ status: 'rejected' }), ['storage'], NOW).status, 'pending');
  });

  it('from active: stays active with its features, the application kept', () => {
    const current = efs({}, { cmek: true });
    assert.deepEqual(applyForEfs(current, ['storage'], NOW), { ...current, application: { features: ['storage'], submittedAt: NOW } });
  });
});
