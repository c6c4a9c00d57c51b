import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  enforcementStatus, isOpen, newAction, nextStep, resolveAction, reviewIdentityCheck, sortedOpenActions, submitIdentityCheck,
  verifiable, type EnforcementAction,
} from '../../src/domain/enforcement.ts';

const NOW = Date.UTC(2026, 10, 2, 8, 0, 0);
const HOUR = 3_600_000;

let counter = 0;
/** An open, non-clearable fraud restriction unless `over` says otherwise. */
function action(over: Partial<EnforcementAction> = {}): EnforcementAction {
  return {
    id: `enac_${String(++counter).padStart(4, '0')}`,
    type: 'restriction',
    reason: 'fraud_or_abuse',
    clearable: false,
    checkSubmitted: false,
    openedAt: NOW - HOUR,
    expiresAt: null,
    ...over,
  };
}
const ban = (over: Partial<EnforcementAction> = {}) => action({ type: 'ban', ...over });
/** a restriction whose identity check the end user has submitted and Anthropic is reviewing */
const inReview = (over: Partial<EnforcementAction> = {}) => action({ clearable: true, checkSubmitted: true, ...over });
const clearable = (over: Partial<EnforcementAction> = {}) => action({ clearable: true, ...over });
const expired = (over: Partial<EnforcementAction> = {}) => action({ expiresAt: NOW - 1, ...over });

const status = (...actions: EnforcementAction[]) => enforcementStatus(actions, NOW);

describe('enforcementStatus: the four rules in order', () => {
  it('rule 4: no action → unrestricted', () => {
    assert.equal(status(), 'unrestricted');
  });

  it('rule 3: any open action → restricted', () => {
    assert.equal(status(action()), 'restricted');
    assert.equal(status(clearable()), 'restricted', 'a check offered but not submitted');
    assert.equal(status(action({ reason: 'unsupported_region' }), action({ reason: 'high_harm' })), 'restricted');
  });

  it('rule 2: a clearable restriction with a submitted check → pending', () => {
    assert.equal(status(inReview()), 'pending');
  });

  it('rule 2 needs the restriction to be clearable by the check', () => {
    assert.equal(status(action({ clearable: false, checkSubmitted: true })), 'restricted');
  });

  it('rule 2 applies with two restrictions, one clearable-and-submitted and one not clearable', () => {
    assert.equal(status(inReview(), action({ reason: 'unsupported_region' })), 'pending');
  });

  it('rule 2 is suppressed by an open account_compromise action on another restriction', () => {
    assert.equal(status(inReview(), action({ reason: 'account_compromise' })), 'restricted');
  });

  it('rule 2 is suppressed when the submitted restriction itself is account_compromise', () => {
    assert.equal(status(inReview({ reason: 'account_compromise' })), 'restricted');
  });

  it('rule 2 is not suppressed by a lapsed account_compromise action', () => {
    assert.equal(status(inReview(), expired({ reason: 'account_compromise' })), 'pending');
  });

  it('rule 1: an open ban → banned', () => {
    assert.equal(status(ban()), 'banned');
  });

  it('rule 1 dominates a pending check and plain restrictions', () => {
    assert.equal(status(inReview(), ban()), 'banned');
    assert.equal(status(action(), ban({ reason: 'high_harm' }), clearable()), 'banned');
  });

  it('lapsed actions are ignored by every rule', () => {
    assert.equal(status(expired()), 'unrestricted');
    assert.equal(status(expired({ type: 'ban' })), 'unrestricted');
    assert.equal(status(expired({ clearable: true, checkSubmitted: true })), 'unrestricted');
    assert.equal(status(expired({ clearable: true, checkSubmitted: true }), action()), 'restricted');
  });

  it('an action lapses exactly at expires_at (open one millisecond before)', () => {
    const a = action({ expiresAt: NOW });
    assert.equal(enforcementStatus([a], NOW - 1), 'restricted');
    assert.equal(enforcementStatus([a], NOW), 'unrestricted');
    assert.equal(isOpen(a, NOW - 1), true);
    assert.equal(isOpen(a, NOW), false);
    assert.equal(isOpen(action({ expiresAt: null }), Number.MAX_SAFE_INTEGER), true);
  });
});

describe('nextStep (the wire `action`)', () => {
  it('verify for a clearable restriction with no check submitted', () => {
    assert.equal(nextStep(clearable()), 'verify');
  });

  it('null while a submitted check is reviewed', () => {
    assert.equal(nextStep(inReview()), null);
  });

  it('null for a restriction no check can clear', () => {
    assert.equal(nextStep(action()), null);
  });

  it('null for bans, even one stored as clearable', () => {
    assert.equal(nextStep(ban()), null);
    assert.equal(nextStep(ban({ clearable: true })), null);
  });
});

describe('newAction: forced fields', () => {
  const input = { id: 'enac_x', clearable: true, expiresAt: NOW + HOUR };

  it('a restriction keeps what was asked, opened now, no check submitted', () => {
    assert.deepEqual(newAction({ ...input, type: 'restriction', reason: 'high_harm' }, NOW), {
      id: 'enac_x', type: 'restriction', reason: 'high_harm', clearable: true, checkSubmitted: false, openedAt: NOW, expiresAt: NOW + HOUR,
    });
    assert.equal(newAction({ ...input, type: 'restriction', reason: 'high_harm', clearable: false, expiresAt: null }, NOW).clearable, false);
  });

  it('a ban is never clearable and never expires', () => {
    const made = newAction({ ...input, type: 'ban', reason: 'usage_policy_violation' }, NOW);
    assert.equal(made.clearable, false);
    assert.equal(made.expiresAt, null);
    assert.equal(nextStep(made), null);
  });

  it('account_compromise never expires (and may stay clearable)', () => {
    const made = newAction({ ...input, type: 'restriction', reason: 'account_compromise' }, NOW);
    assert.equal(made.expiresAt, null);
    assert.equal(made.clearable, true);
  });
});

describe('sortedOpenActions', () => {
  it('oldest first, ties on opened_at broken by id', () => {
    const late = action({ id: 'enac_a', openedAt: NOW - 10 });
    const tieB = action({ id: 'enac_c', openedAt: NOW - 20 });
    const tieA = action({ id: 'enac_b', openedAt: NOW - 20 });
    const first = ban({ id: 'enac_z', openedAt: NOW - 30 });
    const input = [late, tieB, first, tieA];
    const copy = structuredClone(input);
    assert.deepEqual(sortedOpenActions(input, NOW).map((a) => a.id), ['enac_z', 'enac_b', 'enac_c', 'enac_a']);
    assert.deepEqual(input, copy, 'the stored order is not modified');
  });

  it('drops actions past expires_at, judged at read time', () => {
    const lapsing = action({ id: 'enac_lapsing', openedAt: NOW - 5, expiresAt: NOW + HOUR });
    const staying = action({ id: 'enac_staying', openedAt: NOW - 4 });
    assert.deepEqual(sortedOpenActions([lapsing, staying], NOW).map((a) => a.id), ['enac_lapsing', 'enac_staying']);
    assert.deepEqual(sortedOpenActions([lapsing, staying], NOW + HOUR).map((a) => a.id), ['enac_staying']);
  });
});

describe('verifiable', () => {
  it('only open clearable restrictions with no check submitted', () => {
    const offered = clearable();
    const list = [offered, inReview(), action(), ban({ clearable: true }), expired({ clearable: true })];
    assert.deepEqual(verifiable(list, NOW), [offered]);
  });
});

describe('submitIdentityCheck', () => {
  it('sends every verifiable restriction to review and leaves the others as they are', () => {
    const one = clearable();
    const two = clearable({ reason: 'high_harm' });
    const other = action();
    const lapsed = expired({ clearable: true });
    const banned = ban();
    const input = [one, other, two, lapsed, banned];
    const copy = structuredClone(input);
    const next = submitIdentityCheck(input, NOW);
    assert.deepEqual(next, [{ ...one, checkSubmitted: true }, other, { ...two, checkSubmitted: true }, lapsed, banned]);
    assert.deepEqual(input, copy, 'the input is not modified');
    assert.equal(enforcementStatus(next, NOW), 'banned');
    assert.equal(enforcementStatus(next.slice(0, 4), NOW), 'pending');
  });

  it('changes nothing when no restriction is verifiable', () => {
    const input = [action(), inReview()];
    assert.deepEqual(submitIdentityCheck(input, NOW), input);
  });
});

describe('reviewIdentityCheck', () => {
  it('passing resolves the action (it leaves the list) and the status falls to the rest', () => {
    const checked = inReview();
    const other = action();
    assert.deepEqual(reviewIdentityCheck([checked, other], checked.id, true), [other]);
    assert.deepEqual(reviewIdentityCheck([checked], checked.id, true), []);
  });

  it('failing keeps the action open and offers verify again (decisions §25)', () => {
    const checked = inReview();
    const next = reviewIdentityCheck([checked], checked.id, false);
    assert.ok(next);
    assert.deepEqual(next, [{ ...checked, checkSubmitted: false }]);
    assert.equal(nextStep(next[0]!), 'verify');
    assert.equal(enforcementStatus(next, NOW), 'restricted');
  });

  it('null for an unknown action id', () => {
    assert.equal(reviewIdentityCheck([inReview()], 'enac_unknown', true), null);
  });

  it('null for an action with no check in review', () => {
    const offered = clearable();
    assert.equal(reviewIdentityCheck([offered], offered.id, true), null);
    assert.equal(reviewIdentityCheck([offered], offered.id, false), null);
  });
});

describe('resolveAction', () => {
  it('removes the open action named, and only it', () => {
    const a = action();
    const b = ban();
    assert.deepEqual(resolveAction([a, b], b.id, NOW), [a]);
    assert.deepEqual(resolveAction([a, b], a.id, NOW), [b]);
  });

  it('null for an unknown id', () => {
    assert.equal(resolveAction([action()], 'enac_unknown', NOW), null);
  });

  it('null for an action that has already lapsed', () => {
    const lapsed = action({ expiresAt: NOW });
    assert.equal(resolveAction([lapsed], lapsed.id, NOW), null);
    assert.deepEqual(resolveAction([lapsed], lapsed.id, NOW - 1), []);
  });
});
