import { renderTrustGrants } from '../domain/programs.js';
import { formatTimestamp } from '../domain/time.js';
import { commonFields, type Dialect } from './dialect.js';
import { readAccessType, readExternalId, readMetadataField, readName, readOnboardedAt } from './fields.js';

/** `access_type` replaces `relationship`; `external_id` stays; `external_user_onboarded_at` appears. */
export const beta20260818: Dialect = {
  beta: 'user-profiles-2026-08-18',
  fields: {
    name: readName,
    metadata: readMetadataField,
    external_id: readExternalId,
    access_type: readAccessType,
    external_user_onboarded_at: readOnboardedAt,
  },
  render(profile) {
    const { id, type, name, metadata, created_at, updated_at } = commonFields(profile);
    const onboardedAt = profile.details.onboarded_at;
    return {
      id, type, name,
      access_type: profile.accessType,
      external_id: profile.details.reference_id,
      external_user_onboarded_at: onboardedAt === null ? null : formatTimestamp(onboardedAt),
      metadata,
      trust_grants: renderTrustGrants(profile.cyber),
      created_at, updated_at,
    };
  },
};
