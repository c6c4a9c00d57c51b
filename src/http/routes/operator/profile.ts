import { profileNotFound } from '../../../errors.js';
import { profileIdParam } from '../../readers.js';
import type { OperatorCall, Route } from '../../route.js';
import { PROFILE, ProfileParams } from './params.js';
import { OperatorProfileSchema, renderOperatorProfile } from './view.js';

/** GET /v1/operator/user_profiles/{id}: the provider's view of one profile. */
export const retrieveOperatorProfile: Route<OperatorCall> = {
  method: 'GET',
  url: PROFILE,
  contract: { id: 'operatorRetrieveUserProfile', summary: "Retrieve a profile as the provider sees it", params: ProfileParams, response: OperatorProfileSchema },
  async handle({ request, principal, deps }) {
    const id = profileIdParam(request);
    const profile = await deps.store.profiles.find(principal.organizationId, id);
    if (!profile) throw profileNotFound(id);
    return renderOperatorProfile(profile, deps.clock.now(principal.organizationId));
  },
};
