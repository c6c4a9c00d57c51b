import { renderTrustGrants } from '../domain/programs.js';
import { commonFields, renderDetails, type Dialect } from './dialect.js';
import { readAccessType, readExternalUserDetails, readMetadataField, readName } from './fields.js';

/** `external_user_details` replaces the legacy `external_id` / `external_user_onboarded_at`. */
export const beta20260904: Dialect = {
  beta: 'user-profiles-2026-09-04',
  fields: { name: readName, metadata: readMetadataField, access_type: readAccessType, external_user_details: readExternalUserDetails },
  render(profile) {
    const { id, type, name, metadata, created_at, updated_at } = commonFields(profile);
    return {
      id, type, name,
      access_type: profile.accessType,
      external_user_details: renderDetails(profile),
      metadata,
      trust_grants: renderTrustGrants(profile.cyber),
      created_at, updated_at,
    };
  },
};
