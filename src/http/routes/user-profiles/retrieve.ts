import { profileNotFound } from '../../../errors.js';
import { JsonBody, profileJson } from '../../rendered.js';
import { Params } from '../../../contract/schema.js';
import { profileIdParam } from '../../readers.js';
import type { PlatformCall, Route } from '../../route.js';

/** E2 — GET /v1/user_profiles/{id}: the authoritative view (programs reported in full). */
export const retrieveUserProfile: Route<PlatformCall> = {
  method: 'GET',
  url: '/v1/user_profiles/:user_profile_id',
  contract: {
    id: 'retrieveUserProfile',
    summary: 'Retrieve a user profile',
    params: Params('user_profile_id'),
    response: (dialect) => dialect.schemas.full,
  },
  async handle({ request, principal, dialect, deps }) {
    const id = profileIdParam(request);
    const profile = await deps.store.profiles.find(principal.organizationId, id);
    if (!profile) throw profileNotFound(id);
    return new JsonBody(profileJson(profile, dialect, 'full', deps.clock.now(principal.organizationId)));
  },
};
