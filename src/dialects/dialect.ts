import { Type, type TObject } from '@sinclair/typebox';
import { Closed, Enum, Id, Nullable, Timestamp } from '../contract/schema.js';
import { invalidRequest } from '../errors.js';
import { PROGRAM_STATUSES } from '../domain/programs.js';
import { ACCOUNT_STATUSES, ENTITY_TYPES } from '../domain/profile.js';
import type { Profile, ProfileChange } from '../domain/profile.js';
import { describeType } from '../domain/text.js';
import { formatTimestamp } from '../domain/time.js';
import { bodySchema, FIELD_HOMES, type FieldReader, type Mode } from './fields.js';

/** `full` for create/retrieve/update; `list` for list items, where programs are reported lossily (contract-2 §1.3). */
export type View = 'full' | 'list';

/**
 * One API version of the profile: the body fields it accepts (each with its reader) and how it renders
 * the canonical record. Dialects are pure: they never touch storage.
 */
export interface Dialect {
  /** the `anthropic-beta` value, or `null` for the GA surface */
  readonly beta: string | null;
  readonly fields: Readonly<Record<string, FieldReader>>;
  /** the contract: the create and update bodies (from `fields`), and the profile as `render` writes it per view */
  readonly schemas: { readonly create: TObject; readonly update: TObject } & Readonly<Record<View, TObject>>;
  /** `now` decides which enforcement actions have lapsed (expiry is evaluated at read time) */
  render(profile: Profile, view: View, now: number): Record<string, unknown>;
}

export function describeDialect(dialect: Dialect): string {
  return dialect.beta ?? 'the GA surface (no user-profiles beta)';
}

/**
 * Reads a create or update body into a canonical change; any field this dialect does not accept is a 400. No body
 * is `{}` (decisions §35).
 */
export function readProfileBody(dialect: Dialect, value: unknown, mode: Mode, now: number): ProfileChange {
  const body = value === undefined ? {} : value;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest(`The request body must be a JSON object, got ${describeType(body)}.`);
  }
  const change: ProfileChange = {};
  for (const [field, value] of Object.entries(body)) {
    // own properties only: `constructor` or `toString` must not find Object.prototype's
    const reader = Object.hasOwn(dialect.fields, field) ? dialect.fields[field] : undefined;
    if (reader) {
      reader(value, change, mode, now);
      continue;
    }
    const home = Object.hasOwn(FIELD_HOMES, field) ? FIELD_HOMES[field] : undefined;
    throw invalidRequest(
      home
        ? `${field}: not accepted under ${describeDialect(dialect)}; it is accepted under ${home}.`
        : `${field}: unknown field.`,
    );
  }
  return change;
}

/** The fields every dialect renders the same way. */
export function commonFields(profile: Profile) {
  return {
    id: profile.id,
    type: 'user_profile' as const,
    name: profile.name,
    metadata: profile.metadata,
    created_at: formatTimestamp(profile.createdAt),
    updated_at: formatTimestamp(profile.updatedAt),
  };
}

export function renderDetails(profile: Profile) {
  const d = profile.details;
  return {
    account_status: d.account_status,
    country: d.country,
    email_hash: d.email_hash,
    entity_type: d.entity_type,
    name_hash: d.name_hash,
    onboarded_at: d.onboarded_at === null ? null : formatTimestamp(d.onboarded_at),
    reference_id: d.reference_id,
  };
}

// ---- the response schemas every dialect builds on (decisions §30: every field present, null when unset)

/** The fields `commonFields` writes. */
export const commonSchema = {
  id: Id('uprof'),
  type: Type.Literal('user_profile'),
  name: Nullable(Type.String()),
  metadata: Type.Record(Type.String(), Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
};

/** What `renderDetails` writes: all seven keys. */
export const DetailsSchema = Closed(
  {
    account_status: Nullable(Enum(ACCOUNT_STATUSES)),
    country: Nullable(Type.String()),
    email_hash: Nullable(Type.String()),
    entity_type: Nullable(Enum(ENTITY_TYPES)),
    name_hash: Nullable(Type.String()),
    onboarded_at: Nullable(Timestamp),
    reference_id: Nullable(Type.String()),
  },
  { title: 'ExternalUserDetails' },
);

/** Beta `trust_grants` (decisions §20, §23): the cyber status only. */
export const TrustGrantsSchema = Closed(
  { cyber: Type.Optional(Closed({ status: Enum(PROGRAM_STATUSES) })) },
  { title: 'TrustGrants' },
);

/** A dialect's contract: its bodies from its field table, and its profile schema (the same for both views unless `list` is given). */
export function dialectSchemas(name: string, fields: Readonly<Record<string, FieldReader>>, full: TObject, list: TObject = full): Dialect['schemas'] {
  return {
    create: bodySchema(fields, 'create', `CreateUserProfile (${name})`),
    update: bodySchema(fields, 'update', `UpdateUserProfile (${name})`),
    full,
    list,
  };
}
