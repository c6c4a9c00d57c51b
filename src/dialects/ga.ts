import { Type, type Static } from '@sinclair/typebox';
import { Closed, Enum, Id, Nullable, Timestamp } from '../contract/schema.js';
import { ACTION_REASONS, ACTION_TYPES, ENFORCEMENT_STATUSES, enforcementStatus, sortedOpenActions, nextStep } from '../domain/enforcement.js';
import { CYBER_TIERS, EFS_FEATURES, PROGRAM_STATUSES, REQUIREMENTS, renderPrograms } from '../domain/programs.js';
import { ACCESS_TYPES } from '../domain/profile.js';
import { formatTimestamp } from '../domain/time.js';
import { fields09, beta20260904 } from './beta-2026-09-04.js';
import { commonFields, commonSchema, DetailsSchema, renderDetails, type Dialect } from './dialect.js';

const ActiveOrNot = Closed({ status: Enum(['active', 'inactive'] as const) });
const keyed = (keys: readonly string[], schema: typeof ActiveOrNot) => Closed(Object.fromEntries(keys.map((k) => [k, schema])));

/** `programs` as retrieve, create and update report it (contract-2 §1.2–1.3). */
const ProgramsFull = Closed(
  {
    cyber: Nullable(
      Closed({
        status: Enum(PROGRAM_STATUSES),
        tiers: keyed(CYBER_TIERS, ActiveOrNot),
        requirements: Nullable(Closed(Object.fromEntries(REQUIREMENTS.map((r) => [r, Type.Boolean()])))),
      }),
    ),
    efs: Nullable(Closed({ status: Enum(PROGRAM_STATUSES), features: keyed(EFS_FEATURES, ActiveOrNot) })),
  },
  { title: 'Programs' },
);

/** `programs` in a list, lossy as the contract allows: cyber's status only, EFS never (contract-2 §1.3). */
const ProgramsListed = Closed(
  {
    cyber: Nullable(Closed({ status: Enum(PROGRAM_STATUSES), tiers: Closed({}), requirements: Type.Null() })),
    efs: Type.Null(),
  },
  { title: 'ProgramsListed' },
);

const EnforcementAction = Closed(
  {
    id: Id('enac'),
    type: Enum(ACTION_TYPES),
    reason: Enum(ACTION_REASONS),
    action: Nullable(Type.Literal('verify')),
    opened_at: Timestamp,
    expires_at: Nullable(Timestamp),
  },
  { title: 'EnforcementAction' },
);

const gaProfile = (programs: typeof ProgramsFull | typeof ProgramsListed, title: string) =>
  Closed(
    {
      id: commonSchema.id, type: commonSchema.type, name: commonSchema.name,
      access_type: Enum(ACCESS_TYPES),
      external_user_details: DetailsSchema,
      metadata: commonSchema.metadata,
      programs,
      enforcement_status: Enum(ENFORCEMENT_STATUSES),
      enforcement_actions: Type.Array(EnforcementAction),
      created_at: commonSchema.created_at, updated_at: commonSchema.updated_at,
    },
    { title },
  );

const Profile = gaProfile(ProgramsFull, 'UserProfile (GA)');
const ListedProfile = gaProfile(ProgramsListed, 'UserProfileListed (GA)');

/**
 * The GA surface (no user-profiles beta value): the 09-04 request fields; `programs` and enforcement
 * instead of `trust_grants`. Lapsed restrictions are dropped here, at read time.
 */
export const ga: Dialect = {
  beta: null,
  fields: fields09,
  schemas: { create: beta20260904.schemas.create, update: beta20260904.schemas.update, full: Profile, list: ListedProfile },
  render(profile, view, now): Static<typeof Profile> | Static<typeof ListedProfile> {
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
