import { Type, type Static } from '@sinclair/typebox';
import { Closed, Enum, Nullable } from '../contract/schema.js';
import { renderTrustGrants } from '../domain/programs.js';
import { RELATIONSHIPS, relationshipOf } from '../domain/profile.js';
import { commonFields, dialectSchemas, commonSchema, TrustGrantsSchema, type Dialect } from './dialect.js';
import { readExternalId, readMetadataField, readName, readRelationship } from './fields.js';

const BETA = 'user-profiles-2026-03-24';
const fields = { name: readName, metadata: readMetadataField, external_id: readExternalId, relationship: readRelationship };

const Profile = Closed(
  {
    id: commonSchema.id, type: commonSchema.type, name: commonSchema.name,
    relationship: Enum(RELATIONSHIPS),
    external_id: Nullable(Type.String()),
    metadata: commonSchema.metadata,
    trust_grants: TrustGrantsSchema,
    created_at: commonSchema.created_at, updated_at: commonSchema.updated_at,
  },
  { title: `UserProfile (${BETA})` },
);

/** The original beta: `relationship` and `external_id`. */
export const beta20260324: Dialect = {
  beta: BETA,
  fields,
  schemas: dialectSchemas(BETA, fields, Profile),
  render(profile): Static<typeof Profile> {
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
