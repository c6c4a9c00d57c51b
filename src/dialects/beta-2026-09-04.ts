import type { Static } from '@sinclair/typebox';
import { Closed, Enum } from '../contract/schema.js';
import { renderTrustGrants } from '../domain/programs.js';
import { ACCESS_TYPES } from '../domain/profile.js';
import { commonFields, dialectSchemas, commonSchema, DetailsSchema, renderDetails, TrustGrantsSchema, type Dialect } from './dialect.js';
import { readAccessType, readExternalUserDetails, readMetadataField, readName } from './fields.js';

const BETA = 'user-profiles-2026-09-04';
/** shared with the GA surface, which accepts the same request fields */
export const fields09 = { name: readName, metadata: readMetadataField, access_type: readAccessType, external_user_details: readExternalUserDetails };

const Profile = Closed(
  {
    id: commonSchema.id, type: commonSchema.type, name: commonSchema.name,
    access_type: Enum(ACCESS_TYPES),
    external_user_details: DetailsSchema,
    metadata: commonSchema.metadata,
    trust_grants: TrustGrantsSchema,
    created_at: commonSchema.created_at, updated_at: commonSchema.updated_at,
  },
  { title: `UserProfile (${BETA})` },
);

/** `external_user_details` replaces the legacy `external_id` / `external_user_onboarded_at`. */
export const beta20260904: Dialect = {
  beta: BETA,
  fields: fields09,
  schemas: dialectSchemas(`${BETA} and GA`, fields09, Profile),
  render(profile): Static<typeof Profile> {
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
