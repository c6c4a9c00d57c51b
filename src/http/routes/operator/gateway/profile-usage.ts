import { Type } from '@sinclair/typebox';
import { Closed, Id } from '../../../../contract/schema.js';
import type { OperatorCall, Route } from '../../../route.js';
import { PROFILE, ProfileParams } from '../params.js';
import { BudgetSchema, liveProfile, rangeOf, renderBudget, report, ReportQuery } from './schemas.js';

/** GET /v1/operator/user_profiles/{id}/usage?from&to&granularity: what the gateway metered for one profile. */
export const profileUsage: Route<OperatorCall> = {
  method: 'GET',
  url: `${PROFILE}/usage`,
  contract: {
    id: 'operatorProfileUsage',
    summary: "A profile's metered usage over time, by API key, and its budget",
    params: ProfileParams,
    query: ReportQuery,
    response: Closed({ type: Type.Literal('user_profile_usage'), user_profile_id: Id('uprof'), ...report, budget: BudgetSchema }, { title: 'UserProfileUsage' }),
  },
  async handle(call) {
    const profile = await liveProfile(call);
    const { principal, deps } = call;
    const usage = await deps.gateway.report({ organizationId: principal.organizationId, profileId: profile.id }, rangeOf(call));
    return { type: 'user_profile_usage', user_profile_id: profile.id, ...usage, budget: await renderBudget(call, profile.id) };
  },
};
