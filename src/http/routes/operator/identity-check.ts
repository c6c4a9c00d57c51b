import { CheckResultBody, readCheckResult } from '../../../review/decisions.js';
import { profileIdParam } from '../../readers.js';
import type { OperatorCall, Route } from '../../route.js';
import { ActionParams, actionIdParam, PROFILE } from './params.js';
import { OperatorProfileSchema, renderOperatorProfile } from './view.js';

/** POST /v1/operator/user_profiles/{id}/enforcement_actions/{action_id}/identity_check: pass or fail a submitted check. */
export const reviewIdentityCheck: Route<OperatorCall> = {
  method: 'POST',
  url: `${PROFILE}/enforcement_actions/:action_id/identity_check`,
  contract: {
    id: 'operatorReviewIdentityCheck',
    summary: 'Pass or fail an identity check',
    params: ActionParams,
    body: CheckResultBody,
    bodyRequired: true,
    response: OperatorProfileSchema,
  },
  async handle({ request, principal, actor, deps }) {
    const id = profileIdParam(request);
    const { passed, note } = readCheckResult(request.body);
    const profile = await deps.standing.reviewIdentityCheck(principal.organizationId, id, actor, actionIdParam(request), passed, note);
    return renderOperatorProfile(profile, deps.clock.now(principal.organizationId));
  },
};
