import { profileNotFound } from '../../../errors.js';
import { profileIdParam } from '../../readers.js';
import type { OperatorCall, Route } from '../../route.js';
import { PROFILE, ProfileParams } from './params.js';
import { HistorySchema, renderHistory } from './view.js';

/** GET /v1/operator/user_profiles/{id}/history: every change to the profile, newest first. */
export const profileHistory: Route<OperatorCall> = {
  method: 'GET',
  url: `${PROFILE}/history`,
  contract: { id: 'operatorProfileHistory', summary: "A profile's history", params: ProfileParams, response: HistorySchema },
  async handle({ request, principal, deps }) {
    const id = profileIdParam(request);
    if (!(await deps.store.profiles.find(principal.organizationId, id))) throw profileNotFound(id);
    return renderHistory(await deps.store.profiles.history(principal.organizationId, id));
  },
};
