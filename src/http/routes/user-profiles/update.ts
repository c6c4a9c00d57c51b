import { readProfileBody } from '../../../dialects/dialect.js';
import { updatedProfile } from '../../../domain/profile.js';
import { profileNotFound } from '../../../errors.js';
import { JsonBody, profileJson } from '../../rendered.js';
import { Params } from '../../../contract/schema.js';
import { profileIdParam } from '../../readers.js';
import { actorOf, type PlatformCall, type Route } from '../../route.js';

/** E3 — POST /v1/user_profiles/{id}: partial; metadata merges; nothing changes when any part is refused. */
export const updateUserProfile: Route<PlatformCall> = {
  method: 'POST',
  url: '/v1/user_profiles/:user_profile_id',
  contract: {
    id: 'updateUserProfile',
    summary: 'Update a user profile',
    params: Params('user_profile_id'),
    body: (dialect) => dialect.schemas.update,
    response: (dialect) => dialect.schemas.full,
  },
  async handle({ request, principal, dialect, deps }) {
    const id = profileIdParam(request);
    const now = deps.clock.now(principal.organizationId);
    const change = readProfileBody(dialect, request.body, 'update', now);
    const profile = await deps.store.profiles.update(principal.organizationId, id, actorOf(principal), (current) => updatedProfile(current, change, now));
    if (!profile) throw profileNotFound(id);
    return new JsonBody(profileJson(profile, dialect, 'full', now));
  },
};
