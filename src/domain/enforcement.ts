/**
 * Enforcement actions on a profile (contract-2 §1.4–1.5, decisions §25, §29) and the GA status derived from them.
 */
export const ENFORCEMENT_STATUSES = ['unrestricted', 'pending', 'restricted', 'banned'] as const;
export type EnforcementStatus = (typeof ENFORCEMENT_STATUSES)[number];

export const ACTION_TYPES = ['restriction', 'ban'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export const ACTION_REASONS = [
  'unsupported_region', 'fraud_or_abuse', 'high_harm', 'usage_policy_violation', 'account_compromise', 'unspecified',
] as const;
export type ActionReason = (typeof ACTION_REASONS)[number];

/** The reasons as the pages say them. */
export const ACTION_REASON_WORDS: Record<ActionReason, string> = {
  unsupported_region: 'Unsupported region',
  fraud_or_abuse: 'Fraud or abuse',
  high_harm: 'High harm',
  usage_policy_violation: 'Usage policy violation',
  account_compromise: 'Account compromise',
  unspecified: 'Unspecified',
};

export interface EnforcementAction {
  id: string;
  type: ActionType;
  reason: ActionReason;
  /** hidden: whether an identity check can clear it (only restrictions) */
  clearable: boolean;
  /** hidden: whether the end customer has submitted the identity check and it awaits review */
  checkSubmitted: boolean;
  openedAt: number;
  /** a restriction lapses on its own at this time; always null for bans and account_compromise */
  expiresAt: number | null;
}

/** Open = not lapsed. Resolved actions leave the profile, so everything stored is open unless expired. */
export const isOpen = (action: EnforcementAction, now: number) => action.expiresAt === null || action.expiresAt > now;

export const openActions = (actions: readonly EnforcementAction[], now: number) => actions.filter((a) => isOpen(a, now));

/** When the next of the open actions lapses (Infinity: none will): what is read of them holds until then. */
export function nextLapse(actions: readonly EnforcementAction[], now: number): number {
  let next = Infinity;
  for (const a of actions) if (a.expiresAt !== null && a.expiresAt > now && a.expiresAt < next) next = a.expiresAt;
  return next;
}

/** The wire `action`: `verify` while the end customer can clear it now, else null (including during review). */
export const nextStep = (action: EnforcementAction): 'verify' | null =>
  action.type === 'restriction' && action.clearable && !action.checkSubmitted ? 'verify' : null;

/** The four rules, in order, first match wins (contract-2 §1.4). */
export function enforcementStatus(actions: readonly EnforcementAction[], now: number): EnforcementStatus {
  const open = openActions(actions, now);
  if (open.some((a) => a.type === 'ban')) return 'banned';
  const checkInReview = open.some((a) => a.type === 'restriction' && a.clearable && a.checkSubmitted);
  if (checkInReview && !open.some((a) => a.reason === 'account_compromise')) return 'pending';
  return open.length > 0 ? 'restricted' : 'unrestricted';
}

/**
 * A new action, with the contract's forced fields: bans are never clearable and never expire;
 * `account_compromise` never expires.
 */
export function newAction(
  input: { id: string; type: ActionType; reason: ActionReason; clearable: boolean; expiresAt: number | null },
  now: number,
): EnforcementAction {
  const ban = input.type === 'ban';
  return {
    id: input.id,
    type: input.type,
    reason: input.reason,
    clearable: !ban && input.clearable,
    checkSubmitted: false,
    openedAt: now,
    expiresAt: ban || input.reason === 'account_compromise' ? null : input.expiresAt,
  };
}

/** Open actions oldest first, as the wire lists them (decisions §29). */
export function sortedOpenActions(actions: readonly EnforcementAction[], now: number): EnforcementAction[] {
  return openActions(actions, now).sort((x, y) => x.openedAt - y.openedAt || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/** Restrictions the end customer can clear right now with an identity check. */
export const verifiable = (actions: readonly EnforcementAction[], now: number) =>
  openActions(actions, now).filter((a) => nextStep(a) === 'verify');

/** The end customer submits the identity check: every restriction it can clear goes to review. */
export function submitIdentityCheck(actions: readonly EnforcementAction[], now: number): EnforcementAction[] {
  const ids = new Set(verifiable(actions, now).map((a) => a.id));
  return actions.map((a) => (ids.has(a.id) ? { ...a, checkSubmitted: true } : a));
}

/**
 * The provider's review of a submitted check on one action: passing resolves it (it leaves the list),
 * failing offers the check again (decisions §25). Null when the action has no check in review.
 */
export function reviewIdentityCheck(
  actions: readonly EnforcementAction[],
  actionId: string,
  passed: boolean,
): EnforcementAction[] | null {
  const action = actions.find((a) => a.id === actionId);
  if (!action || !action.checkSubmitted) return null;
  return passed ? actions.filter((a) => a.id !== actionId) : actions.map((a) => (a.id === actionId ? { ...a, checkSubmitted: false } : a));
}

/** Resolves an open action (it leaves the list); null when there is no such open action. */
export function resolveAction(actions: readonly EnforcementAction[], actionId: string, now: number): EnforcementAction[] | null {
  const action = actions.find((a) => a.id === actionId);
  if (!action || !isOpen(action, now)) return null;
  return actions.filter((a) => a.id !== actionId);
}
