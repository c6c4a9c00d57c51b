import type { EnforcementAction } from './enforcement.js';
import { mergeMetadata, sameMetadata } from './metadata.js';
import type { CyberProgram, EfsProgram } from './programs.js';

/**
 * The canonical user profile. Every dialect reads requests into a ProfileChange and renders a Profile;
 * storage persists exactly this shape. Nothing here knows about HTTP, SQL or API versions.
 */
export const ACCESS_TYPES = ['application', 'passthrough'] as const;
export type AccessType = (typeof ACCESS_TYPES)[number];

export const RELATIONSHIPS = ['external', 'resold', 'internal'] as const;
export type Relationship = (typeof RELATIONSHIPS)[number];

export const ACCOUNT_STATUSES = ['active', 'suspended', 'blocked'] as const;
export const ENTITY_TYPES = ['individual', 'business', 'non_profit', 'government'] as const;

export interface ExternalUserDetails {
  account_status: (typeof ACCOUNT_STATUSES)[number] | null;
  country: string | null;
  email_hash: string | null;
  entity_type: (typeof ENTITY_TYPES)[number] | null;
  name_hash: string | null;
  /** epoch milliseconds; rendered as RFC 3339 UTC */
  onboarded_at: number | null;
  /** the same datum as the legacy `external_id` (decisions §8) */
  reference_id: string | null;
}
export type DetailKey = keyof ExternalUserDetails;
export const DETAIL_KEYS: readonly DetailKey[] = [
  'account_status', 'country', 'email_hash', 'entity_type', 'name_hash', 'onboarded_at', 'reference_id',
];

export const emptyDetails = (): ExternalUserDetails => ({
  account_status: null, country: null, email_hash: null, entity_type: null, name_hash: null, onboarded_at: null, reference_id: null,
});

export interface Profile {
  id: string;
  organizationId: string;
  name: string | null;
  accessType: AccessType;
  /** the legacy 03-24 relationship `internal`, which has no access type of its own (decisions §9) */
  internal: boolean;
  details: ExternalUserDetails;
  metadata: Record<string, string>;
  /** decided by the provider; null while the profile has no status in the program */
  cyber: CyberProgram | null;
  efs: EfsProgram | null;
  /** enforcement actions not yet resolved (some may have lapsed: see isOpen) */
  actions: EnforcementAction[];
  /** whether the end customer lets the platform bill them (`billing_policy.bill_to: "user_profile"`) */
  billingAuthorized: boolean;
  createdAt: number;
  updatedAt: number;
}

/** What one create or update asks for, in canonical terms. Absent = leave as is. */
export interface ProfileChange {
  name?: string | null;
  /** a 2026-03-24 relationship, or an access type from any later dialect */
  kind?: { relationship: Relationship } | { accessType: AccessType };
  /** `reference_id: null` comes only from the legacy `external_id: null`, which clears it */
  details?: Partial<ExternalUserDetails>;
  /** on update, `""` removes a key */
  metadata?: Record<string, string>;
}

/** decisions §9: how a relationship or access type lands on the canonical pair (accessType, internal) */
function applyKind(kind: NonNullable<ProfileChange['kind']>): { accessType: AccessType; internal: boolean } {
  if ('accessType' in kind) return { accessType: kind.accessType, internal: false };
  switch (kind.relationship) {
    case 'resold':
      return { accessType: 'passthrough', internal: false };
    case 'internal':
      return { accessType: 'application', internal: true };
    case 'external':
      return { accessType: 'application', internal: false };
  }
}

/** decisions §9, read side: the 2026-03-24 relationship of a canonical profile */
export function relationshipOf(profile: Pick<Profile, 'accessType' | 'internal'>): Relationship {
  if (profile.accessType === 'passthrough') return 'resold';
  return profile.internal ? 'internal' : 'external';
}

/** Whether something on the profile awaits the provider: an application, or an identity check in review. */
export function awaitsReview(profile: Pick<Profile, 'cyber' | 'efs' | 'actions'>): boolean {
  return Boolean(profile.cyber?.application || profile.efs?.application || profile.actions.some((a) => a.checkSubmitted));
}

/**
 * The profile with new program or enforcement state. `updated_at` moves when that state changes
 * (decisions §15); an unchanged state returns the same object, so nothing is written.
 */
export function withStanding(
  current: Profile,
  next: Partial<Pick<Profile, 'cyber' | 'efs' | 'actions' | 'billingAuthorized'>>,
  now: number,
): Profile {
  const merged = { ...current, ...next };
  const same =
    merged.billingAuthorized === current.billingAuthorized &&
    JSON.stringify([merged.cyber, merged.efs, merged.actions]) === JSON.stringify([current.cyber, current.efs, current.actions]);
  return same ? current : { ...merged, updatedAt: Math.max(now, current.updatedAt) };
}

/** A new profile from a validated create request (defaults per contract §6 E1). */
export function newProfile(change: ProfileChange, id: string, organizationId: string, now: number): Profile {
  const kind = change.kind ? applyKind(change.kind) : { accessType: 'application' as const, internal: false };
  // built field by field, with no spreads, so that every profile has the shape of one read from storage
  const details = emptyDetails();
  for (const key of DETAIL_KEYS) {
    const value = change.details?.[key];
    if (value !== undefined && value !== null) (details as Record<DetailKey, unknown>)[key] = value;
  }
  return {
    id,
    organizationId,
    name: change.name ?? null,
    accessType: kind.accessType,
    internal: kind.internal,
    details,
    metadata: change.metadata ?? {},
    cyber: null,
    efs: null,
    actions: [],
    billingAuthorized: false,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * The profile after an update. `updated_at` moves only when a stored value changes (decisions §15).
 * Throws (via mergeMetadata) when the merged metadata would exceed the cap; the caller stores nothing then.
 */
export function updatedProfile(
  current: Profile,
  change: ProfileChange,
  now: number,
): Profile {
  const next: Profile = { ...current, details: { ...current.details, ...(change.details ?? {}) } };
  if (change.name !== undefined) next.name = change.name;
  if (change.kind) Object.assign(next, applyKind(change.kind));
  if (change.metadata) next.metadata = mergeMetadata(current.metadata, change.metadata);
  const changed =
    next.name !== current.name ||
    next.accessType !== current.accessType ||
    next.internal !== current.internal ||
    DETAIL_KEYS.some((key) => next.details[key] !== current.details[key]) ||
    !sameMetadata(next.metadata, current.metadata);
  return changed ? { ...next, updatedAt: Math.max(now, current.updatedAt) } : current;
}
