import { Type } from '@sinclair/typebox';
import { Closed, Enum, Nullable } from '../../../contract/schema.js';
import { ENFORCEMENT_STATUSES } from '../../../domain/enforcement.js';
import { PROGRAM_FILTER_VALUES, readProfileSearch, searchProfiles } from '../../../review/search.js';
import type { Query } from '../../readers.js';
import type { OperatorCall, Route } from '../../route.js';
import { OperatorProfileSchema, renderOperatorProfile } from './view.js';

const anyOf = <T extends readonly string[]>(values: T) =>
  Type.Optional(Type.Array(Enum(values), { description: 'any of: repeated, as name[], or comma-joined' }));

/** GET /v1/operator/user_profiles: the profile search the console uses too (review/search.ts). */
export const searchUserProfiles: Route<OperatorCall> = {
  method: 'GET',
  url: '/v1/operator/user_profiles',
  contract: {
    id: 'operatorSearchUserProfiles',
    summary: 'Search profiles (unknown parameters are refused)',
    query: Closed({
      name_prefix: Type.Optional(Type.String({ maxLength: 255 })),
      reference_id: Type.Optional(Type.String({ maxLength: 255 })),
      enforcement_status: anyOf(ENFORCEMENT_STATUSES),
      cyber_status: anyOf(PROGRAM_FILTER_VALUES),
      efs_status: anyOf(PROGRAM_FILTER_VALUES),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
      page: Type.Optional(Type.String()),
    }),
    response: Closed({ data: Type.Array(OperatorProfileSchema), next_page: Nullable(Type.String()) }, { title: 'OperatorUserProfilePage' }),
  },
  async handle({ request, principal, deps }) {
    const search = readProfileSearch(request.query as Query);
    const { profiles, nextPage } = await searchProfiles(deps, principal.organizationId, search);
    const now = deps.clock.now(principal.organizationId);
    return { data: profiles.map((p) => renderOperatorProfile(p, now)), next_page: nextPage };
  },
};
