import { BillingBody, readBilling } from '../../../../review/gateway.js';
import { profileIdParam } from '../../../readers.js';
import type { OperatorCall, Route } from '../../../route.js';
import { PROFILE, ProfileParams } from '../params.js';
import { OperatorProfileSchema, renderOperatorProfile } from '../view.js';

/** POST /v1/operator/user_profiles/{id}/billing: whether the platform may bill the end customer (billing_policy). */
export const setBillingAuthorization: Route<OperatorCall> = {
  method: 'POST',
  url: `${PROFILE}/billing`,
  contract: {
    id: 'operatorSetBillingAuthorization', summary: "Set a profile's billing authorization", params: ProfileParams, body: BillingBody, bodyRequired: true,
    response: OperatorProfileSchema,
  },
  async handle({ request, principal, actor, deps }) {
    const authorized = readBilling(request.body);
    const profile = await deps.standing.setBillingAuthorization(principal.organizationId, profileIdParam(request), actor, authorized);
    return renderOperatorProfile(profile, deps.clock.now(principal.organizationId));
  },
};
