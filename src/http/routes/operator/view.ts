import { ga } from '../../../dialects/ga.js';
import { isOpen, nextStep } from '../../../domain/enforcement.js';
import type { HistoryRecord } from '../../../store/profiles.js';
import { CYBER_TIERS, EFS_FEATURES } from '../../../domain/programs.js';
import type { Profile } from '../../../domain/profile.js';
import { formatTimestamp } from '../../../domain/time.js';

const status = (active: boolean) => (active ? 'active' : 'inactive');

/**
 * What the provider sees of a profile: the platform's GA view, plus the state the wire never shows
 * (requirements and waivers per tier, open applications, which actions an identity check can clear).
 */
export function renderOperatorProfile(profile: Profile, now: number) {
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
          },
    efs:
      efs === null
        ? null
        : {
            status: efs.status,
            features: Object.fromEntries(EFS_FEATURES.map((f) => [f, status(efs.features[f])])),
            application: efs.application && { features: efs.application.features, submitted_at: formatTimestamp(efs.application.submittedAt) },
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

export function renderHistory(records: HistoryRecord[]) {
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
