import { BudgetBody, readBudget } from '../../../../review/gateway.js';
import type { OperatorCall, Route } from '../../../route.js';
import { PROFILE, ProfileParams } from '../params.js';
import { BudgetSchema, liveProfile, renderBudget } from './schemas.js';

/** GET /v1/operator/user_profiles/{id}/budget */
export const retrieveBudget: Route<OperatorCall> = {
  method: 'GET',
  url: `${PROFILE}/budget`,
  contract: { id: 'operatorRetrieveBudget', summary: "A profile's token budget and what its window has used", params: ProfileParams, response: BudgetSchema },
  async handle(call) {
    return renderBudget(call, (await liveProfile(call)).id);
  },
};

/** POST /v1/operator/user_profiles/{id}/budget: tokens per day or month; over it, requests get 429 until the window resets. */
export const setBudget: Route<OperatorCall> = {
  method: 'POST',
  url: `${PROFILE}/budget`,
  contract: { id: 'operatorSetBudget', summary: "Set a profile's token budget", params: ProfileParams, body: BudgetBody, bodyRequired: true, response: BudgetSchema },
  async handle(call) {
    const profile = await liveProfile(call);
    const { principal, deps, request } = call;
    const budget = readBudget(request.body, deps.gateway.clock(principal.organizationId));
    await deps.store.gatewaySettings.setBudget(principal.organizationId, profile.id, budget);
    deps.gateway.budgets.forget(principal.organizationId, profile.id);
    return renderBudget(call, profile.id);
  },
};

/** DELETE /v1/operator/user_profiles/{id}/budget: no budget. */
export const deleteBudget: Route<OperatorCall> = {
  method: 'DELETE',
  url: `${PROFILE}/budget`,
  contract: { id: 'operatorDeleteBudget', summary: "Remove a profile's token budget", params: ProfileParams, response: BudgetSchema },
  async handle(call) {
    const profile = await liveProfile(call);
    await call.deps.store.gatewaySettings.deleteBudget(call.principal.organizationId, profile.id);
    call.deps.gateway.budgets.forget(call.principal.organizationId, profile.id);
    return renderBudget(call, profile.id);
  },
};
