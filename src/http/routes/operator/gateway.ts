import type { FastifyRequest } from 'fastify';
import { describeType, readEnum } from '../../../domain/text.js';
import { formatTimestamp } from '../../../domain/time.js';
import { invalidRequest, profileNotFound } from '../../../errors.js';
import { readReportRange } from '../../../gateway/usage-report.js';
import { BUDGET_PERIODS, budgetWindow } from '../../../gateway/usage.js';
import type { Budget } from '../../../store/gateway-settings.js';
import type { OperatorCall, OperatorRoute } from '../../operator.js';
import { queryParam } from '../../query.js';
import { profileIdParam } from '../../route.js';
import { renderOperatorProfile } from './view.js';

const PROFILE = '/v1/operator/user_profiles/:user_profile_id';
/** a budget of more tokens than this is no budget */
const MAX_BUDGET_TOKENS = 1e15;

/** An object with only the named keys (no body at all is `{}`, decisions §35). */
function readObject(value: unknown, keys: readonly string[]): Record<string, unknown> {
  const body = value === undefined ? {} : value;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidRequest(`body: expected an object, got ${describeType(body)}.`);
  for (const key of Object.keys(body)) if (!keys.includes(key)) throw invalidRequest(`${key}: unknown field.`);
  return body as Record<string, unknown>;
}

function readBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidRequest(`${field}: required, true or false (got ${describeType(value)}).`);
  return value;
}

/** `{period: "day"|"month", tokens: 1…10^15, notify_at?: 0 < f ≤ 1 | null}` (the console's form reads through it too) */
export function readBudget(value: unknown, now: number): Budget {
  const body = readObject(value, ['period', 'tokens', 'notify_at']);
  const period = readEnum('period', body.period, BUDGET_PERIODS);
  const { tokens, notify_at: notifyAt } = body;
  if (typeof tokens !== 'number' || !Number.isInteger(tokens) || tokens < 1 || tokens > MAX_BUDGET_TOKENS) {
    throw invalidRequest(`tokens: required, a whole number from 1 to ${MAX_BUDGET_TOKENS}.`);
  }
  if (notifyAt !== undefined && notifyAt !== null && (typeof notifyAt !== 'number' || !(notifyAt > 0 && notifyAt <= 1))) {
    throw invalidRequest('notify_at: a fraction of the budget above 0 and at most 1 (such as 0.8), or null.');
  }
  return { period, tokens, notifyAt: (notifyAt as number | null | undefined) ?? null, updatedAt: now };
}

/** A live profile of the operator's organization (404 otherwise, as every operator route). */
async function liveProfile({ request, principal, deps }: OperatorCall) {
  const id = profileIdParam(request);
  const profile = await deps.store.profiles.find(principal.organizationId, id);
  if (!profile) throw profileNotFound(id);
  return profile;
}

async function renderBudget({ principal, deps }: OperatorCall, profileId: string) {
  const budget = await deps.store.gatewaySettings.budget(principal.organizationId, profileId);
  if (!budget) return { type: 'user_profile_budget', user_profile_id: profileId, budget: null };
  const window = budgetWindow(budget.period, deps.gateway.clock(principal.organizationId));
  return {
    type: 'user_profile_budget',
    user_profile_id: profileId,
    budget: { period: budget.period, tokens: budget.tokens, notify_at: budget.notifyAt, updated_at: formatTimestamp(budget.updatedAt) },
    window: { starting_at: formatTimestamp(window.start), ending_at: formatTimestamp(window.end) },
    /** what has been flushed (USAGE_FLUSH_MS behind at most, per process) */
    used_tokens: await deps.store.usage.tokensSince(principal.organizationId, profileId, window.start),
  };
}

const rangeOf = (request: FastifyRequest, now: number) =>
  readReportRange({ from: queryParam(request, 'from'), to: queryParam(request, 'to'), granularity: queryParam(request, 'granularity') }, now);

/**
 * The operator's side of the inference gateway (src/gateway/): metered usage, budgets, billing authorization
 * and the organization's attribution setting. Operator keys only, scoped to the key's organization.
 */
export const gatewayOperatorRoutes: readonly OperatorRoute[] = [
  {
    method: 'GET',
    url: `${PROFILE}/usage`,
    async handle(call) {
      const profile = await liveProfile(call);
      const { principal, deps, request } = call;
      const range = rangeOf(request, deps.gateway.clock(principal.organizationId));
      const report = await deps.gateway.report({ organizationId: principal.organizationId, profileId: profile.id }, range);
      return { type: 'user_profile_usage', user_profile_id: profile.id, ...report, budget: await renderBudget(call, profile.id) };
    },
  },
  {
    method: 'GET',
    url: '/v1/operator/usage',
    async handle({ request, principal, deps }) {
      const range = rangeOf(request, deps.gateway.clock(principal.organizationId));
      return { type: 'organization_usage', ...(await deps.gateway.report({ organizationId: principal.organizationId, profileId: null }, range)) };
    },
  },
  {
    method: 'GET',
    url: `${PROFILE}/budget`,
    async handle(call) {
      return renderBudget(call, (await liveProfile(call)).id);
    },
  },
  {
    method: 'POST',
    url: `${PROFILE}/budget`,
    async handle(call) {
      const profile = await liveProfile(call);
      const { principal, deps, request } = call;
      const budget = readBudget(request.body, deps.gateway.clock(principal.organizationId));
      await deps.store.gatewaySettings.setBudget(principal.organizationId, profile.id, budget);
      deps.gateway.budgets.forget(principal.organizationId, profile.id);
      return renderBudget(call, profile.id);
    },
  },
  {
    method: 'DELETE',
    url: `${PROFILE}/budget`,
    async handle(call) {
      const profile = await liveProfile(call);
      await call.deps.store.gatewaySettings.deleteBudget(call.principal.organizationId, profile.id);
      call.deps.gateway.budgets.forget(call.principal.organizationId, profile.id);
      return renderBudget(call, profile.id);
    },
  },
  {
    method: 'POST',
    url: `${PROFILE}/billing`,
    async handle({ request, principal, actor, deps }) {
      const id = profileIdParam(request);
      const authorized = readBoolean('authorized', readObject(request.body, ['authorized']).authorized);
      const profile = await deps.standing.setBillingAuthorization(principal.organizationId, id, actor, authorized);
      return renderOperatorProfile(profile, deps.gateway.clock(principal.organizationId));
    },
  },
  {
    method: 'GET',
    url: '/v1/operator/gateway_settings',
    async handle({ principal, deps }) {
      const settings = await deps.store.gatewaySettings.settings(principal.organizationId);
      return { type: 'gateway_settings', require_attribution: settings.requireAttribution };
    },
  },
  {
    method: 'POST',
    url: '/v1/operator/gateway_settings',
    async handle({ request, principal, deps }) {
      const requireAttribution = readBoolean('require_attribution', readObject(request.body, ['require_attribution']).require_attribution);
      await deps.store.gatewaySettings.setSettings(principal.organizationId, { requireAttribution }, deps.gateway.clock(principal.organizationId));
      deps.gateway.forgetSettings(principal.organizationId);
      return { type: 'gateway_settings', require_attribution: requireAttribution };
    },
  },
];
