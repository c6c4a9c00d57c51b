import { Type } from '@sinclair/typebox';
import { Closed, Enum, Nullable } from '../contract/schema.js';
import { readEnum } from '../domain/text.js';
import { invalidRequest } from '../errors.js';
import { BUDGET_PERIODS } from '../gateway/usage.js';
import { readBoolean, readObject } from '../http/readers.js';
import type { Budget } from '../store/gateway-settings.js';

/**
 * The provider's decisions about the inference gateway (src/gateway/), as the operator API and the console read
 * them: a profile's token budget, its billing authorization, the organization's attribution setting.
 */

/** a budget of more tokens than this is no budget */
export const MAX_BUDGET_TOKENS = 1e15;

export const BudgetBody = Closed({
  period: Enum(BUDGET_PERIODS),
  tokens: Type.Integer({ minimum: 1, maximum: MAX_BUDGET_TOKENS }),
  notify_at: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'the fraction at which user_profile.usage_threshold_reached fires' }))),
});

/** `{period: "day"|"month", tokens: 1…10^15, notify_at?: 0 < f ≤ 1 | null}` (the console's form reads through it too) */
export function readBudget(value: unknown, now: number): Budget {
  const body = readObject('', value, ['period', 'tokens', 'notify_at']);
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

/** `{authorized: true|false}` */
export const BillingBody = Closed({ authorized: Type.Boolean({ description: 'whether the platform may bill the end customer for this profile' }) });
export const readBilling = (value: unknown): boolean => readBoolean('authorized', readObject('', value, ['authorized']).authorized);

export const SettingsBody = Closed({ require_attribution: Type.Boolean({ description: 'refuse inference requests that name no user profile' }) });
export const readSettings = (value: unknown): boolean =>
  readBoolean('require_attribution', readObject('', value, ['require_attribution']).require_attribution);
