import { enforcementStatus, sortedOpenActions, nextStep } from '../domain/enforcement.js';
import { renderPrograms } from '../domain/programs.js';
import { formatTimestamp } from '../domain/time.js';
import { beta20260904 } from './beta-2026-09-04.js';
import { commonFields, renderDetails, type Dialect } from './dialect.js';

/**
 * The GA surface (no user-profiles beta value): the 09-04 request fields; `programs` and enforcement
 * instead of `trust_grants`. Lapsed restrictions are dropped here, at read time.
 */
export const ga: Dialect = {
  beta: null,
  fields: beta20260904.fields,
  render(profile, view, now) {
    const { id, type, name, metadata, created_at, updated_at } = commonFields(profile);
    return {
      id, type, name,
      access_type: profile.accessType,
      external_user_details: renderDetails(profile),
      metadata,
      programs: renderPrograms(profile.cyber, profile.efs, view),
      enforcement_status: enforcementStatus(profile.actions, now),
      enforcement_actions: sortedOpenActions(profile.actions, now).map((action) => ({
        id: action.id,
        type: action.type,
        reason: action.reason,
        action: nextStep(action),
        opened_at: formatTimestamp(action.openedAt),
        expires_at: action.expiresAt === null ? null : formatTimestamp(action.expiresAt),
      })),
      created_at, updated_at,
    };
  },
};
