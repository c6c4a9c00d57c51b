import { CyberDecisionBody, readCyberDecision } from '../../../review/decisions.js';
import { profileIdParam } from '../../readers.js';
import type { OperatorCall, Route } from '../../route.js';
import { PROFILE, ProfileParams } from './params.js';
import { OperatorProfileSchema, renderOperatorProfile } from './view.js';

/** POST /v1/operator/user_profiles/{id}/programs/cyber: the provider's decision on the cyber program. */
export const decideCyber: Route<OperatorCall> = {
  method: 'POST',
  url: `${PROFILE}/programs/cyber`,
  contract: {
    id: 'operatorDecideCyber',
    summary: 'Decide the cyber program',
    params: ProfileParams,
    body: CyberDecisionBody,
    bodyRequired: true,
    response: OperatorProfileSchema,
  },
  async handle({ request, principal, actor, deps }) {
    const id = profileIdParam(request);
    const profile = await deps.standing.decideCyber(principal.organizationId, id, actor, readCyberDecision(request.body));
    return renderOperatorProfile(profile, deps.clock.now(principal.organizationId));
  },
};
