import { Type, type Static } from '@sinclair/typebox';
import { Closed, Enum, Id, Nullable, Timestamp } from '../../../contract/schema.js';
import { ga } from '../../../dialects/ga.js';
import { ACTION_REASONS, ACTION_TYPES, isOpen, nextStep } from '../../../domain/enforcement.js';
import type { HistoryRecord } from '../../../store/profiles.js';
import { CYBER_TIERS, EFS_FEATURES, PROGRAM_STATUSES, REJECTION_REASONS, REQUIREMENTS } from '../../../domain/programs.js';
import type { Profile } from '../../../domain/profile.js';
import { formatTimestamp } from '../../../domain/time.js';

const status = (active: boolean) => (active ? ('active' as const) : ('inactive' as const));

const ActiveOrNot = Enum(['active', 'inactive'] as const);
const Flags = Closed(Object.fromEntries(REQUIREMENTS.map((r) => [r, Type.Boolean()])));

export const OperatorProfileSchema = Closed(
  {
    type: Type.Literal('operator_user_profile'),
    organization_id: Type.String(),
    profile: ga.schemas.full,
    cyber: Nullable(
      Closed({
        status: Enum(PROGRAM_STATUSES),
        earlier_models: Type.Boolean(),
        tiers: Closed(Object.fromEntries(CYBER_TIERS.map((t) => [t, Closed({ status: ActiveOrNot, requirements: Flags, waivers: Flags })]))),
        application: Nullable(Closed({ tiers: Type.Array(Enum(CYBER_TIERS)), submitted_at: Timestamp })),
        rejection_reason: Nullable(Enum(REJECTION_REASONS)),
      }),
    ),
    efs: Nullable(
      Closed({
        status: Enum(PROGRAM_STATUSES),
        features: Closed(Object.fromEntries(EFS_FEATURES.map((f) => [f, ActiveOrNot]))),
        application: Nullable(Closed({ features: Type.Array(Enum(EFS_FEATURES)), submitted_at: Timestamp })),
        rejection_reason: Nullable(Enum(REJECTION_REASONS)),
      }),
    ),
    enforcement_actions: Type.Array(
      Closed({
        id: Id('enac'),
        type: Enum(ACTION_TYPES),
        reason: Enum(ACTION_REASONS),
        action: Nullable(Type.Literal('verify')),
        clearable: Type.Boolean(),
        identity_check: Enum(['submitted', 'none'] as const),
        opened_at: Timestamp,
        expires_at: Nullable(Timestamp),
        open: Type.Boolean(),
      }),
    ),
    /** whether the end customer lets the platform bill them (billing_policy bill_to: user_profile, src/gateway/) */
    billing: Closed({ authorized: Type.Boolean() }),
  },
  { title: 'OperatorUserProfile' },
);

/**
 * What the provider sees of a profile: the platform's GA view, plus the state the wire never shows
 * (requirements and waivers per tier, open applications, which actions an identity check can clear).
 */
export function renderOperatorProfile(profile: Profile, now: number): Static<typeof OperatorProfileSchema> {
  const { cyber, efs } = profile;
  return {
    type: 'operator_user_profile',
    organization_id: profile.organizationId,
    profile: ga.render(profile, 'full', now),
    cyber:
      cyber === null
        ? null
        : {
            status: cyber.status,
            earlier_models: cyber.earlierModels,
            tiers: Object.fromEntries(
              CYBER_TIERS.map((t) => [t, { status: status(cyber.tiers[t].active), requirements: cyber.tiers[t].requires, waivers: cyber.tiers[t].waived }]),
            ),
            application: cyber.application && { tiers: cyber.application.tiers, submitted_at: formatTimestamp(cyber.application.submittedAt) },
            rejection_reason: cyber.rejectionReason ?? null,
          },
    efs:
      efs === null
        ? null
        : {
            status: efs.status,
            features: Object.fromEntries(EFS_FEATURES.map((f) => [f, status(efs.features[f])])),
            application: efs.application && { features: efs.application.features, submitted_at: formatTimestamp(efs.application.submittedAt) },
            rejection_reason: efs.rejectionReason ?? null,
          },
    enforcement_actions: profile.actions.map((a) => ({
      id: a.id,
      type: a.type,
      reason: a.reason,
      action: nextStep(a),
      clearable: a.clearable,
      identity_check: a.checkSubmitted ? 'submitted' : 'none',
      opened_at: formatTimestamp(a.openedAt),
      expires_at: a.expiresAt === null ? null : formatTimestamp(a.expiresAt),
      open: isOpen(a, now),
    })),
    billing: { authorized: profile.billingAuthorized },
  };
}

export const HistorySchema = Closed(
  {
    data: Type.Array(
      Closed({
        id: Id('hist'),
        at: Timestamp,
        actor: Closed({ type: Enum(['platform', 'operator', 'end_customer', 'system'] as const), id: Nullable(Type.String()) }),
        event: Type.String(),
        detail: Type.Record(Type.String(), Type.Unknown()),
      }),
    ),
  },
  { title: 'ProfileHistory' },
);

export function renderHistory(records: HistoryRecord[]): Static<typeof HistorySchema> {
  return {
    data: records.map((r) => ({ id: r.id, at: formatTimestamp(r.at), actor: r.actor, event: r.event, detail: r.detail })),
  };
}

/** What in a profile awaits the provider. */
export function pendingItems(profile: Profile): string[] {
  const items: string[] = [];
  if (profile.cyber?.application) items.push('cyber_application');
  if (profile.efs?.application) items.push('efs_application');
  for (const a of profile.actions) if (a.checkSubmitted) items.push(`identity_check:${a.id}`);
  return items;
}
