import { renderPrograms } from './programs.js';
import type { Profile } from './profile.js';

/**
 * Organization webhook event types (contract-2 §2.4) and our opt-in extensions: for mirroring profiles (decisions §33),
 * and the gateway's budget threshold (src/gateway/budgets.ts).
 */
export const DOCUMENTED_EVENT_TYPES = [
  'user_profile.enforcement_action_opened',
  'user_profile.enforcement_action_resolved',
  'user_profile.program_status_updated',
  'external_key.failed',
  'external_key.recovered',
  'external_storage.failed',
  'external_storage.recovered',
] as const;
export const EXTENSION_EVENT_TYPES = [
  'user_profile.created', 'user_profile.updated', 'user_profile.deleted', 'user_profile.usage_threshold_reached',
] as const;
export const EVENT_TYPES = [...DOCUMENTED_EVENT_TYPES, ...EXTENSION_EVENT_TYPES] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An event's `data`: ids only, never the profile itself (contract-2 §2.6). */
export interface EventData {
  type: EventType;
  id: string;
  organization_id: string;
  enforcement_action_id?: string;
}

const programsView = (p: Profile) => JSON.stringify(renderPrograms(p.cyber, p.efs, 'full'));

/**
 * The webhook events a change produces (contract-2 §2.7, decisions §26), derived from the two states alone so that
 * every path that changes a profile emits the same events. Deleting a profile ends its actions silently.
 */
export function eventsFor(before: Profile | null, after: Profile | null): EventData[] {
  const profile = (after ?? before)!;
  const base = { id: profile.id, organization_id: profile.organizationId };
  if (before === null) return [{ type: 'user_profile.created', ...base }];
  if (after === null) return [{ type: 'user_profile.deleted', ...base }];
  const events: EventData[] = [];
  const platformFieldsChanged =
    before.name !== after.name || before.accessType !== after.accessType || before.internal !== after.internal ||
    JSON.stringify(before.details) !== JSON.stringify(after.details) || JSON.stringify(before.metadata) !== JSON.stringify(after.metadata);
  if (platformFieldsChanged) events.push({ type: 'user_profile.updated', ...base });
  if (programsView(before) !== programsView(after)) events.push({ type: 'user_profile.program_status_updated', ...base });
  const beforeIds = new Set(before.actions.map((a) => a.id));
  const afterIds = new Set(after.actions.map((a) => a.id));
  for (const id of afterIds) {
    if (!beforeIds.has(id)) events.push({ type: 'user_profile.enforcement_action_opened', ...base, enforcement_action_id: id });
  }
  for (const id of beforeIds) {
    if (!afterIds.has(id)) events.push({ type: 'user_profile.enforcement_action_resolved', ...base, enforcement_action_id: id });
  }
  return events;
}
