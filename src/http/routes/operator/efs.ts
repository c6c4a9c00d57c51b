import { EfsDecisionBody, readEfsDecision } from '../../../review/decisions.js';
import { profileIdParam } from '../../readers.js';
import type { OperatorCall, Route } from '../../route.js';
import { PROFILE, ProfileParams } from './params.js';
import { OperatorProfileSchema, renderOperatorProfile } from './view.js';

/** POST /v1/operator/user_profiles/{id}/programs/efs: the provider's decision on the EFS program. */
export const decideEfs: Route<OperatorCall> = {
  method: 'POST',
  url: `${PROFILE}/programs/efs`,
  contract: {
    id: 'operatorDecideEfs',
    summary: 'Decide the EFS program',
    params: ProfileParams,
    body: EfsDecisionBody,
    bodyRequired: true,
    response: OperatorProfileSchema,
  },
  async handle({ request, principal, actor, deps }) {
    const id = profileIdParam(request);
    const profile = await deps.standing.decideEfs(principal.organizationId, id, actor, readEfsDecision(request.body));
    return renderOperatorProfile(profile, deps.clock.now(principal.organizationId));
  },
};
