import { Closed, Id } from '../../../contract/schema.js';
import { NewActionBody, readNewAction } from '../../../review/decisions.js';
import { profileIdParam } from '../../readers.js';
import type { OperatorCall, Route } from '../../route.js';
import { PROFILE, ProfileParams } from './params.js';
import { OperatorProfileSchema, renderOperatorProfile } from './view.js';

/** POST /v1/operator/user_profiles/{id}/enforcement_actions: open a restriction or a ban. */
export const openAction: Route<OperatorCall> = {
  method: 'POST',
  url: `${PROFILE}/enforcement_actions`,
  contract: {
    id: 'operatorOpenEnforcementAction',
    summary: 'Open an enforcement action',
    params: ProfileParams,
    body: NewActionBody,
    bodyRequired: true,
    response: Closed({ ...OperatorProfileSchema.properties, opened_action_id: Id('enac') }, { title: 'OperatorUserProfileWithOpenedAction' }),
  },
  async handle({ request, principal, actor, deps }) {
    const id = profileIdParam(request);
    const { profile, action } = await deps.standing.openAction(principal.organizationId, id, actor, readNewAction(request.body));
    return { ...renderOperatorProfile(profile, deps.clock.now(principal.organizationId)), opened_action_id: action.id };
  },
};
