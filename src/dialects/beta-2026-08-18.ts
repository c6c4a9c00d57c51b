import { Type, type Static } from '@sinclair/typebox';
import { Closed, Enum, Nullable, Timestamp } from '../contract/schema.js';
import { renderTrustGrants } from '../domain/programs.js';
import { ACCESS_TYPES } from '../domain/profile.js';
import { formatTimestamp } from '../domain/time.js';
import { commonFields, dialectSchemas, commonSchema, TrustGrantsSchema, type Dialect } from './dialect.js';
import { readAccessType, readExternalId, readMetadataField, readName, readOnboardedAt } from './fields.js';

const BETA = 'user-profiles-2026-08-18';
const fields = {
  name: readName,
  metadata: readMetadataField,
  external_id: readExternalId,
  access_type: readAccessType,
  external_user_onboarded_at: readOnboardedAt,
};

const Profile = Closed(
  {
    id: commonSchema.id, type: commonSchema.type, name: commonSchema.name,
    access_type: Enum(ACCESS_TYPES),
    external_id: Nullable(Type.String()),
    external_user_onboarded_at: Nullable(Timestamp),
    metadata: commonSchema.metadata,
    trust_grants: TrustGrantsSchema,
    created_at: commonSchema.created_at, updated_at: commonSchema.updated_at,
  },
  { title: `UserProfile (${BETA})` },
);

/** `access_type` replaces `relationship`; `external_id` stays; `external_user_onboarded_at` appears. */
export const beta20260818: Dialect = {
  beta: BETA,
  fields,
  schemas: dialectSchemas(BETA, fields, Profile),
  render(profile): Static<typeof Profile> {
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
