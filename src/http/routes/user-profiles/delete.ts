import { profileNotFound } from '../../../errors.js';
import { actorOf, profileIdParam, type PlatformRoute } from '../../route.js';

/** E5 — DELETE /v1/user_profiles/{id}: a second delete is a 404 (decisions §19). */
export const deleteUserProfile: PlatformRoute = {
  method: 'DELETE',
  url: '/v1/user_profiles/:user_profile_id',
  async handle({ request, principal, deps }) {
    const id = profileIdParam(request);
    if (!(await deps.store.profiles.delete(principal.organizationId, id, actorOf(principal), deps.clock.now(principal.organizationId)))) throw profileNotFound(id);
    return { id, type: 'user_profile_deleted' };
  },
};
