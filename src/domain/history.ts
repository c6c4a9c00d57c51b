import { CYBER_TIERS, EFS_FEATURES } from './programs.js';
import { DETAIL_KEYS, type Profile } from './profile.js';
import { sameMetadata } from './metadata.js';
import { formatTimestamp } from './time.js';

/** Who made a change: a platform's API key, the provider's operator, the end customer through a link, or the server. */
export type ActorType = 'platform' | 'operator' | 'end_customer' | 'system';
export interface Actor {
  type: ActorType;
  /** the key id for platform and operator, the link kind for an end customer */
  id: string | null;
}

export interface HistoryEntry {
  event: string;
  detail: Record<string, unknown>;
}

/** What a profile's creation records: the name it was created with. */
export const creationEntry = (name: string | null): HistoryEntry => ({ event: 'profile.created', detail: { name } });

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * What changed between two states of a profile, as history entries. Derived from the states alone, so
 * every path that changes a profile (API, console, portal, operator API) is recorded the same way.
 */
export function describeChange(before: Profile | null, after: Profile | null): HistoryEntry[] {
  if (before === null) return after ? [creationEntry(after.name)] : [];
  if (after === null) return [{ event: 'profile.deleted', detail: {} }];
  const entries: HistoryEntry[] = [];

  const fields: string[] = [];
  if (before.name !== after.name) fields.push('name');
  if (before.accessType !== after.accessType || before.internal !== after.internal) fields.push('access_type');
  for (const key of DETAIL_KEYS) if (before.details[key] !== after.details[key]) fields.push(`external_user_details.${key}`);
  if (!sameMetadata(before.metadata, after.metadata)) fields.push('metadata');
  if (fields.length > 0) entries.push({ event: 'profile.updated', detail: { fields } });

  entries.push(...describeProgram('cyber', before.cyber, after.cyber));
  entries.push(...describeProgram('efs', before.efs, after.efs));

  const beforeActions = new Map(before.actions.map((a) => [a.id, a]));
  const afterIds = new Set(after.actions.map((a) => a.id));
  for (const action of after.actions) {
    const earlier = beforeActions.get(action.id);
    if (!earlier) {
      entries.push({
        event: 'enforcement.opened',
        detail: {
          id: action.id, type: action.type, reason: action.reason, clearable: action.clearable,
          expires_at: action.expiresAt === null ? null : formatTimestamp(action.expiresAt),
        },
      });
    } else if (!earlier.checkSubmitted && action.checkSubmitted) {
      entries.push({ event: 'identity_check.submitted', detail: { id: action.id } });
    } else if (earlier.checkSubmitted && !action.checkSubmitted) {
      entries.push({ event: 'identity_check.failed', detail: { id: action.id } });
    }
  }
  for (const action of before.actions) {
    if (!afterIds.has(action.id)) entries.push({ event: 'enforcement.resolved', detail: { id: action.id, type: action.type } });
  }
  if (before.billingAuthorized !== after.billingAuthorized) {
    entries.push({ event: after.billingAuthorized ? 'billing.authorized' : 'billing.revoked', detail: {} });
  }
  return entries;
}

type ProgramState = Profile['cyber'] | Profile['efs'];

function describeProgram(program: 'cyber' | 'efs', before: ProgramState, after: ProgramState): HistoryEntry[] {
  if (same(before, after) || after === null) return [];
  const entries: HistoryEntry[] = [];
  const application = after.application;
  if (application && !same(before?.application ?? null, application)) {
    const requested = 'tiers' in application ? application.tiers : application.features;
    entries.push({ event: `${program}.application_submitted`, detail: { requested } });
  }
  if (before?.application && !application) entries.push({ event: `${program}.application_reviewed`, detail: {} });
  if ((before?.status ?? null) !== after.status) {
    // a rejection says why, when the provider said
    const reason = after.status === 'rejected' && after.rejectionReason ? { reason: after.rejectionReason } : {};
    entries.push({ event: `${program}.status_changed`, detail: { from: before?.status ?? null, to: after.status, ...reason } });
  }
  const grants = (state: ProgramState) => {
    if (state === null) return null;
    const { application: _application, status: _status, rejectionReason: _reason, ...rest } = state;
    return rest;
  };
  if (before && !same(grants(before), grants(after))) {
    const active =
      'tiers' in after ? CYBER_TIERS.filter((t) => after.tiers[t].active) : EFS_FEATURES.filter((f) => after.features[f]);
    entries.push({ event: `${program}.grants_changed`, detail: { active } });
  }
  return entries;
}
