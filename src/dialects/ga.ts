import { commonFields, renderDetails, type Dialect } from './dialect.js';
import { beta20260904 } from './beta-2026-09-04.js';
import { enforcementStatusOf } from '../domain/enforcement.js';

/**
 * The GA surface (no user-profiles beta value): the 09-04 request fields; `programs` and enforcement
 * instead of `trust_grants`. Programs and enforcement actions are not stored yet, so every profile reads
 * as having no program status (`null`) and no open action.
 */
export const ga: Dialect = {
  beta: null,
  fields: beta20260904.fields,
  render(profile) {
    const { id, type, name, metadata, created_at, updated_at } = commonFields(profile);
    return {
      id, type, name,
      access_type: profile.accessType,
      external_user_details: renderDetails(profile),
      metadata,
      programs: { cyber: null, efs: null },
      enforcement_status: enforcementStatusOf(profile),
      enforcement_actions: [],
      created_at, updated_at,
    };
  },
};
