import { renderTrustGrants } from '../domain/programs.js';
import { relationshipOf } from '../domain/profile.js';
import { commonFields, type Dialect } from './dialect.js';
import { readExternalId, readMetadataField, readName, readRelationship } from './fields.js';

/** The original beta: `relationship` and `external_id`. */
export const beta20260324: Dialect = {
  beta: 'user-profiles-2026-03-24',
  fields: { name: readName, metadata: readMetadataField, external_id: readExternalId, relationship: readRelationship },
  render(profile) {
    const { id, type, name, metadata, created_at, updated_at } = commonFields(profile);
    return {
      id, type, name,
      relationship: relationshipOf(profile),
      external_id: profile.details.reference_id,
      metadata,
      trust_grants: renderTrustGrants(profile.cyber),
      created_at, updated_at,
    };
  },
};
