import { profileNotFound } from '../../../errors.js';
import { Type } from '@sinclair/typebox';
import { Closed, Id, Params } from '../../../contract/schema.js';
import { profileIdParam } from '../../readers.js';
import { actorOf, type PlatformCall, type Route } from '../../route.js';

/** E5 — DELETE /v1/user_profiles/{id}: a second delete is a 404 (decisions §19). */
export const deleteUserProfile: Route<PlatformCall> = {
  method: 'DELETE',
  url: '/v1/user_profiles/:user_profile_id',
  contract: {
    id: 'deleteUserProfile',
    summary: 'Delete a user profile',
    params: Params('user_profile_id'),
    response: Closed({ id: Id('uprof'), type: Type.Literal('user_profile_deleted') }, { title: 'UserProfileDeleted' }),
  },
  async handle({ request, principal, deps }) {
    const id = profileIdParam(request);
    if (!(await deps.store.profiles.delete(principal.organizationId, id, actorOf(principal), deps.clock.now(principal.organizationId)))) throw profileNotFound(id);
    return { id, type: 'user_profile_deleted' };
  },
};
