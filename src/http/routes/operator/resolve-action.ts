import { profileIdParam } from '../../readers.js';
import type { OperatorCall, Route } from '../../route.js';
import { ActionParams, actionIdParam, PROFILE } from './params.js';
import { OperatorProfileSchema, renderOperatorProfile } from './view.js';

/** POST /v1/operator/user_profiles/{id}/enforcement_actions/{action_id}/resolve */
export const resolveAction: Route<OperatorCall> = {
  method: 'POST',
  url: `${PROFILE}/enforcement_actions/:action_id/resolve`,
  contract: { id: 'operatorResolveEnforcementAction', summary: 'Resolve an enforcement action', params: ActionParams, response: OperatorProfileSchema },
  async handle({ request, principal, actor, deps }) {
    const profile = await deps.standing.resolveAction(principal.organizationId, profileIdParam(request), actor, actionIdParam(request));
    return renderOperatorProfile(profile, deps.clock.now(principal.organizationId));
  },
};
