/**
 * The attribution rules (contract §14, decisions §39) as pure functions: what a request's
 * `anthropic-user-profile-id` header and `billing_policy` ask for, and the refusals, each in the API's envelope with
 * `error.details.error_code` so that the official SDK raises its specific class (contract §12.2–12.3).
 */
import { enforcementStatus, openActions, verifiable } from '../domain/enforcement.js';
import type { Profile } from '../domain/profile.js';
import { describeType } from '../domain/text.js';
import { formatTimestamp } from '../domain/time.js';
import { ApiError, invalidRequest, RateLimitError } from '../errors.js';

export const PROFILE_HEADER = 'anthropic-user-profile-id';

export type BillTo = 'self' | 'user_profile';

/**
 * Who a Messages body asks to bill (`billing_policy`, beta): `self` unless it says `user_profile`. Only the parts
 * uprof acts on are checked: an object of `type: "billing_policy"` whose `bill_to` is one of the two values.
 */
export function billToOf(body: unknown, field = 'billing_policy'): BillTo {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'self';
  const policy = (body as Record<string, unknown>).billing_policy;
  if (policy === undefined || policy === null) return 'self';
  if (typeof policy !== 'object' || Array.isArray(policy)) throw invalidRequest(`${field}: expected an object, got ${describeType(policy)}.`);
  const { type, bill_to: billTo } = policy as Record<string, unknown>;
  if (type !== 'billing_policy') throw invalidRequest(`${field}.type: must be "billing_policy".`);
  if (billTo === undefined || billTo === null) return 'self';
  if (billTo !== 'self' && billTo !== 'user_profile') throw invalidRequest(`${field}.bill_to: must be "self" or "user_profile".`);
  return billTo;
}

/** A header value as it may appear in a message: quoted, and cut short if someone sends a novel. */
const shown = (value: string) => JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);

/** A refusal of uprof's attribution rules; its reason (what metering counts) is the error code. */
export class Refusal extends ApiError {
  constructor(status: number, type: ApiError['type'], message: string, readonly reason: string, details: Record<string, unknown> = {}) {
    super(status, type, message, { error_code: reason, ...details });
  }
}

export const unknownProfile = (id: string) =>
  new Refusal(400, 'invalid_request_error',
    `User profile ${shown(id)} does not exist in this organization or is no longer active.`, 'user_profile_not_found');

/** No profile named where one is needed: billing to a profile, or an organization that requires attribution. */
export const profileRequired = (because: 'billing' | 'organization') =>
  new Refusal(400, 'invalid_request_error', because === 'billing'
    ? 'billing_policy.bill_to is "user_profile", but the request names no user profile: send its id in the anthropic-user-profile-id header.'
    : 'This organization requires every inference request to name a user profile: send its id in the anthropic-user-profile-id header.',
  'user_profile_required');

export const billingNotAuthorized = (id: string) =>
  new Refusal(403, 'permission_error',
    `The customer behind user profile ${shown(id)} has not authorized your organization to bill them, or that authorization has ended.`,
    'user_profile_billing_not_authorized');

/** What a profile's standing lets through right now. */
export type Standing =
  | { allowed: true }
  | { allowed: false; status: 'banned' }
  /** `verify`: the end customer can clear it now with an identity check, through an action URL */
  | { allowed: false; status: 'restricted' | 'pending'; verify: boolean; reasons: string[] };

/** Enforcement applies to every attributed request: a banned profile's are refused, and a restricted one's. */
export function standingOf(profile: Profile, now: number): Standing {
  const status = enforcementStatus(profile.actions, now);
  if (status === 'unrestricted') return { allowed: true };
  if (status === 'banned') return { allowed: false, status };
  const reasons = [...new Set(openActions(profile.actions, now).map((a) => a.reason))].sort();
  return { allowed: false, status, verify: verifiable(profile.actions, now).length > 0, reasons };
}

/**
 * uprof's answer to a banned or restricted profile's request (decisions §39; the hosted answer is not public):
 * 403 `permission_error` with `error_code` `user_profile_banned` or `user_profile_restricted`, the enforcement
 * status, and for a restriction the next step: an action URL when the end customer can clear it now.
 */
export function standingRefusal(id: string, standing: Exclude<Standing, { allowed: true }>, link: { url: string; expiresAt: number } | null): Refusal {
  if (standing.status === 'banned') {
    return new Refusal(403, 'permission_error', `User profile ${shown(id)} is banned: its requests are refused.`, 'user_profile_banned', {
      enforcement_status: 'banned',
    });
  }
  const why = `User profile ${shown(id)} is restricted (${standing.reasons.join(', ')})`;
  const message = link
    ? `${why}: its requests are refused until the end customer completes the identity check at ${link.url} (valid until ${formatTimestamp(link.expiresAt)}).`
    : standing.status === 'pending'
      ? `${why}: the end customer's identity check is in review, and its requests are refused until the provider decides.`
      : `${why}: its requests are refused until the provider lifts the restriction.`;
  return new Refusal(403, 'permission_error', message, 'user_profile_restricted', {
    enforcement_status: standing.status,
    action_url: link?.url ?? null,
  });
}

/** Over its budget: 429 with `retry-after` at the window's reset (the SDKs wait for it: decisions §34). */
export function budgetExceeded(id: string, budget: { period: string; tokens: number }, used: number, resetsAt: number, now: number): RateLimitError & { reason: string } {
  const error = new RateLimitError(
    `User profile ${shown(id)} has used ${used} of its ${budget.tokens} tokens this ${budget.period}; its requests are refused until ${formatTimestamp(resetsAt)}.`,
    Math.max(1, Math.ceil((resetsAt - now) / 1000)),
    { error_code: 'user_profile_budget_exceeded', resets_at: formatTimestamp(resetsAt) },
  );
  return Object.assign(error, { reason: 'user_profile_budget_exceeded' });
}

/** The reason a refusal is counted under. */
export const reasonOf = (error: ApiError): string => (error as { reason?: string }).reason ?? error.type;
