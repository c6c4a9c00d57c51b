import { Type } from '@sinclair/typebox';
import { Closed, Enum, Id, Nullable, Timestamp, TimestampIn } from '../../../../contract/schema.js';
import { formatTimestamp } from '../../../../domain/time.js';
import { profileNotFound } from '../../../../errors.js';
import { MAX_BUDGET_TOKENS } from '../../../../review/gateway.js';
import { GRANULARITIES, readReportRange } from '../../../../gateway/usage-report.js';
import { BUDGET_PERIODS, budgetWindow } from '../../../../gateway/usage.js';
import { profileIdParam, queryParam } from '../../../readers.js';
import type { OperatorCall } from '../../../route.js';

/**
 * What the operator routes of the inference gateway (src/gateway/) share: the usage report's shape, budgets and
 * their reader, the live profile a route acts on.
 */


const Count = Type.Integer({ minimum: 0 });
const counts = {
  requests: Count,
  messages: Count,
  count_tokens: Count,
  batch_requests: Count,
  input_tokens: Count,
  output_tokens: Count,
  cache_creation_input_tokens: Count,
  cache_read_input_tokens: Count,
  refusals: Type.Record(Type.String(), Count, { description: 'refused requests by error code' }),
};

/** src/gateway/usage-report.ts renderReport: every bucket of the range, each API key, the totals */
export const report = {
  granularity: Enum(GRANULARITIES),
  from: Timestamp,
  to: Timestamp,
  data: Type.Array(Closed({ starting_at: Timestamp, ending_at: Timestamp, ...counts })),
  api_keys: Type.Array(Closed({ api_key_id: Id('apikey'), ...counts })),
  totals: Closed(counts),
};

export const ReportQuery = Closed({
  from: Type.Optional(TimestampIn('start of the report (default: one span of the granularity before `to`)')),
  to: Type.Optional(TimestampIn('end of the report (default: now)')),
  granularity: Type.Optional(Enum(GRANULARITIES, { description: 'default day' })),
});

export const rangeOf = ({ request, principal, deps }: OperatorCall) =>
  readReportRange(
    { from: queryParam(request, 'from'), to: queryParam(request, 'to'), granularity: queryParam(request, 'granularity') },
    deps.gateway.clock(principal.organizationId),
  );

export const BudgetSchema = Closed(
  {
    type: Type.Literal('user_profile_budget'),
    user_profile_id: Id('uprof'),
    budget: Nullable(
      Closed({
        period: Enum(BUDGET_PERIODS),
        tokens: Type.Integer({ minimum: 1, maximum: MAX_BUDGET_TOKENS }),
        notify_at: Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
        updated_at: Timestamp,
      }),
    ),
    window: Type.Optional(Closed({ starting_at: Timestamp, ending_at: Timestamp })),
    used_tokens: Type.Optional(Count),
  },
  { title: 'UserProfileBudget' },
);

/** A live profile of the operator's organization (404 otherwise, as every operator route). */
export async function liveProfile({ request, principal, deps }: OperatorCall) {
  const id = profileIdParam(request);
  const profile = await deps.store.profiles.find(principal.organizationId, id);
  if (!profile) throw profileNotFound(id);
  return profile;
}

export async function renderBudget({ principal, deps }: OperatorCall, profileId: string) {
  const budget = await deps.store.gatewaySettings.budget(principal.organizationId, profileId);
  if (!budget) return { type: 'user_profile_budget' as const, user_profile_id: profileId, budget: null };
  const window = budgetWindow(budget.period, deps.gateway.clock(principal.organizationId));
  return {
    type: 'user_profile_budget' as const,
    user_profile_id: profileId,
    budget: { period: budget.period, tokens: budget.tokens, notify_at: budget.notifyAt, updated_at: formatTimestamp(budget.updatedAt) },
    window: { starting_at: formatTimestamp(window.start), ending_at: formatTimestamp(window.end) },
    /** what has been flushed (USAGE_FLUSH_MS behind at most, per process) */
    used_tokens: await deps.store.usage.tokensSince(principal.organizationId, profileId, window.start),
  };
}

export const SettingsSchema = Closed({ type: Type.Literal('gateway_settings'), require_attribution: Type.Boolean() }, { title: 'GatewaySettings' });
