import { CYBER_TIERS, EFS_FEATURES, REQUIREMENTS } from '../domain/programs.js';
import { invalidRequest } from '../errors.js';
import { readCheckResult, readCyberDecision, readEfsDecision, readNewAction } from '../review/decisions.js';
import { formValue, type FormFields } from '../pages/forms.js';

/**
 * The console's forms, turned into the operator API's JSON bodies and read by the very same readers
 * (src/review/decisions.ts), so both surfaces accept and refuse exactly the same decisions.
 * A checked checkbox is present in the form (any value), an unchecked one is absent.
 */
const checked = (fields: FormFields, name: string) => formValue(fields, name) !== undefined;
const activeIf = (on: boolean) => (on ? 'active' : 'inactive');

/** Field names of the cyber form: `tier_a_active`, `tier_a_requires_human_review`, `tier_a_waives_human_review`. */
export const cyberField = {
  active: (tier: string) => `tier_${tier}_active`,
  requires: (tier: string, requirement: string) => `tier_${tier}_requires_${requirement}`,
  waives: (tier: string, requirement: string) => `tier_${tier}_waives_${requirement}`,
};
export const efsField = (feature: string) => `feature_${feature}`;

/** A decision form says `approve` or `reject`; a rejection must say why (the end customer reads it). */
function decisionOf(fields: FormFields): 'approve' | 'reject' {
  const decision = formValue(fields, 'decision');
  if (decision !== 'approve' && decision !== 'reject') throw invalidRequest('decision: must be "approve" or "reject".');
  if (decision === 'reject' && !formValue(fields, 'reason')) throw invalidRequest('reason: choose the reason the end customer will read.');
  return decision;
}

/** Approving states every tier in full (what is unticked is set inactive / not required / not waived); rejecting gives a reason. */
export function cyberDecisionFromForm(fields: FormFields) {
  if (decisionOf(fields) === 'reject') return readCyberDecision({ status: 'rejected', reason: formValue(fields, 'reason') });
  const flags = (name: (requirement: string) => string) =>
    Object.fromEntries(REQUIREMENTS.map((requirement) => [requirement, checked(fields, name(requirement))]));
  return readCyberDecision({
    status: 'active',
    tiers: Object.fromEntries(
      CYBER_TIERS.map((tier) => [
        tier,
        {
          status: activeIf(checked(fields, cyberField.active(tier))),
          requirements: flags((r) => cyberField.requires(tier, r)),
          waivers: flags((r) => cyberField.waives(tier, r)),
        },
      ]),
    ),
    earlier_models: checked(fields, 'earlier_models'),
  });
}

export function efsDecisionFromForm(fields: FormFields) {
  if (decisionOf(fields) === 'reject') return readEfsDecision({ status: 'rejected', reason: formValue(fields, 'reason') });
  const features = EFS_FEATURES.filter((feature) => checked(fields, efsField(feature)));
  if (features.length === 0) throw invalidRequest('features: tick at least one feature to approve, or reject the application.');
  return readEfsDecision({ status: 'active', features: Object.fromEntries(EFS_FEATURES.map((f) => [f, activeIf(features.includes(f))])) });
}

/** `<input type="datetime-local">` sends `YYYY-MM-DDTHH:MM` (seconds optional); the console means UTC. */
const DATETIME_LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;

export function actionFromForm(fields: FormFields) {
  const expires = (formValue(fields, 'expires_at') ?? '').trim();
  if (expires !== '' && !DATETIME_LOCAL.test(expires)) {
    throw invalidRequest('expires_at: give a date and time (UTC) such as 2026-12-31T18:00, or leave it blank for no expiry.');
  }
  return readNewAction({
    type: formValue(fields, 'type'),
    reason: formValue(fields, 'reason'),
    clearable: checked(fields, 'clearable'),
    ...(expires === '' ? {} : { expires_at: `${expires.length === 16 ? `${expires}:00` : expires}Z` }),
  });
}

export const checkResultFromForm = (fields: FormFields) =>
  readCheckResult({ result: formValue(fields, 'result'), note: formValue(fields, 'note') ?? null });
