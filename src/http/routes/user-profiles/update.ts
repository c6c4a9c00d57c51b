import { readProfileBody } from '../../../dialects/dialect.js';
import { updatedProfile } from '../../../domain/profile.js';
import { profileNotFound } from '../../../errors.js';
import { JsonBody, profileJson } from '../../rendered.js';
import { actorOf, profileIdParam, type PlatformRoute } from '../../route.js';

/** E3 — POST /v1/user_profiles/{id}: partial; metadata merges; nothing changes when any part is refused. */
export const updateUserProfile: PlatformRoute = {
  method: 'POST',
  url: '/v1/user_profiles/:user_profile_id',
  async handle({ request, principal, dialect, deps }) {
    const id = profileIdParam(request);
    const now = deps.clock.now(principal.organizationId);
    const change = readProfileBody(dialect, request.body === undefined ? {} : request.body, 'update', now);
    const profile = await deps.store.profiles.update(principal.organizationId, id, actorOf(principal), (current) => updatedProfile(current, change, now));
    if (!profile) throw profileNotFound(id);
    return new JsonBody(profileJson(profile, dialect, 'full', now));
  },
};
