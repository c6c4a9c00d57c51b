import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { Closed, Enum, Nullable, Text, TimestampIn } from '../contract/schema.js';
import { invalidRequest } from '../errors.js';
import { METADATA_KEY_MAX, METADATA_MAX_KEYS, METADATA_VALUE_MAX, readMetadata } from '../domain/metadata.js';
import {
  ACCESS_TYPES, ACCOUNT_STATUSES, DETAIL_KEYS, ENTITY_TYPES, RELATIONSHIPS,
  type DetailKey, type ExternalUserDetails, type ProfileChange,
} from '../domain/profile.js';
import { describeType, readBoundedString, readEnum } from '../domain/text.js';
import { readTimestamp } from '../domain/time.js';

export type Mode = 'create' | 'update';

/** Reads one request field into the change being built; throws a 400 naming the field on bad input. */
export type FieldReader = (value: unknown, change: ProfileChange, mode: Mode, now: number) => void;

const STRING_MAX = 255;

function setDetail<K extends DetailKey>(change: ProfileChange, key: K, value: ExternalUserDetails[K]): void {
  (change.details ??= {})[key] = value;
}

export const readName: FieldReader = (value, change) => {
  change.name = value === null ? null : readBoundedString('name', value, STRING_MAX);
};

/** the legacy name of `external_user_details.reference_id`; `null` clears it (decisions §12) */
export const readExternalId: FieldReader = (value, change) => {
  setDetail(change, 'reference_id', value === null ? null : readBoundedString('external_id', value, STRING_MAX));
};

/** `null` on update leaves the kind unchanged (decisions §12); on create it is not a value. */
function nullMeansUnchanged(field: string, value: unknown, mode: Mode): boolean {
  if (value !== null) return false;
  if (mode === 'create') throw invalidRequest(`${field}: must be a string, not null.`);
  return true;
}

export const readRelationship: FieldReader = (value, change, mode) => {
  if (nullMeansUnchanged('relationship', value, mode)) return;
  change.kind = { relationship: readEnum('relationship', value, RELATIONSHIPS) };
};

export const readAccessType: FieldReader = (value, change, mode) => {
  if (nullMeansUnchanged('access_type', value, mode)) return;
  change.kind = { accessType: readEnum('access_type', value, ACCESS_TYPES) };
};

export const readOnboardedAt: FieldReader = (value, change, _mode, now) => {
  if (value === null) throw invalidRequest('external_user_onboarded_at: cannot be null; once set it cannot be cleared.');
  setDetail(change, 'onboarded_at', readTimestamp('external_user_onboarded_at', value, now));
};

export const readMetadataField: FieldReader = (value, change, mode) => {
  change.metadata = readMetadata(value, mode);
};

const detailReaders: Record<DetailKey, (field: string, value: unknown, now: number) => ExternalUserDetails[DetailKey]> = {
  account_status: (field, value) => readEnum(field, value, ACCOUNT_STATUSES),
  country: (field, value) => {
    if (typeof value !== 'string' || !/^[A-Z]{2}$/.test(value)) {
      const got = typeof value === 'string' ? JSON.stringify(value) : describeType(value);
      throw invalidRequest(`${field}: must be an ISO 3166-1 alpha-2 code, two upper-case ASCII letters such as "DE" (got ${got}).`);
    }
    return value;
  },
  email_hash: (field, value) => readBoundedString(field, value, STRING_MAX),
  entity_type: (field, value) => readEnum(field, value, ENTITY_TYPES),
  name_hash: (field, value) => readBoundedString(field, value, STRING_MAX),
  onboarded_at: (field, value, now) => readTimestamp(field, value, now),
  reference_id: (field, value) => readBoundedString(field, value, STRING_MAX),
};

/**
 * `external_user_details`: each sent key replaces the stored one. On create a `null` key means "not set"
 * (except `onboarded_at`, whose type is not nullable); on update `null` is refused: details, once set,
 * cannot be cleared (decisions §12).
 */
export const readExternalUserDetails: FieldReader = (value, change, mode, now) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequest(`external_user_details: expected an object, got ${describeType(value)}.`);
  }
  for (const [key, entry] of Object.entries(value)) {
    const field = `external_user_details.${key}`;
    if (!(DETAIL_KEYS as readonly string[]).includes(key)) {
      throw invalidRequest(`${field}: unknown field. Accepted keys: ${DETAIL_KEYS.join(', ')}.`);
    }
    const detail = key as DetailKey;
    if (entry === null) {
      if (mode === 'update') throw invalidRequest(`${field}: cannot be null; a detail, once set, cannot be cleared.`);
      if (detail === 'onboarded_at') throw invalidRequest(`${field}: cannot be null.`);
      continue;
    }
    setDetail(change, detail, detailReaders[detail](field, entry, now));
  }
};

/** Where each body field is accepted, for errors that point a caller at the right version (decisions §10). */
export const FIELD_HOMES: Record<string, string> = {
  relationship: 'user-profiles-2026-03-24',
  external_id: 'user-profiles-2026-03-24 and user-profiles-2026-08-18',
  external_user_onboarded_at: 'user-profiles-2026-08-18',
  access_type: 'user-profiles-2026-08-18, user-profiles-2026-09-04 and the GA surface (no user-profiles beta)',
  external_user_details: 'user-profiles-2026-09-04 and the GA surface (no user-profiles beta)',
};

// ---- the contract of the body fields: what each reader above accepts, as JSON Schema, per mode

const BoundedString = Text({ minLength: 1, maxLength: STRING_MAX });

const metadataSchema = (mode: Mode) =>
  Type.Unsafe<Record<string, string>>({
    type: 'object',
    propertyNames: { minLength: 1, maxLength: METADATA_KEY_MAX },
    additionalProperties: { type: 'string', minLength: mode === 'create' ? 1 : 0, maxLength: METADATA_VALUE_MAX },
    ...(mode === 'create' ? { maxProperties: METADATA_MAX_KEYS } : {}),
    description:
      mode === 'create'
        ? `At most ${METADATA_MAX_KEYS} keys of 1–${METADATA_KEY_MAX} characters; values of 1–${METADATA_VALUE_MAX}.`
        : `Merged into the stored map; "" removes a key. The result may hold at most ${METADATA_MAX_KEYS} keys (decisions §13).`,
  });

const DETAIL_SCHEMAS: Record<DetailKey, TSchema> = {
  account_status: Enum(ACCOUNT_STATUSES),
  country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' }),
  email_hash: BoundedString,
  entity_type: Enum(ENTITY_TYPES),
  name_hash: BoundedString,
  onboarded_at: TimestampIn(),
  reference_id: BoundedString,
};

const detailsSchema = (mode: Mode) =>
  Closed(
    Object.fromEntries(
      DETAIL_KEYS.map((key) => [key, Type.Optional(mode === 'create' && key !== 'onboarded_at' ? Nullable(DETAIL_SCHEMAS[key]) : DETAIL_SCHEMAS[key])]),
    ),
    { description: mode === 'create' ? 'null: not set' : 'Details, once set, cannot be cleared (decisions §12).' },
  );

/** Each body field's schema per mode: `null` clears a name or external id, and leaves a kind unchanged on update (decisions §12). */
export const FIELD_SCHEMAS: Record<string, Record<Mode, TSchema>> = {
  name: { create: Nullable(BoundedString), update: Nullable(BoundedString) },
  external_id: { create: Nullable(BoundedString), update: Nullable(BoundedString) },
  relationship: { create: Enum(RELATIONSHIPS), update: Nullable(Enum(RELATIONSHIPS)) },
  access_type: { create: Enum(ACCESS_TYPES), update: Nullable(Enum(ACCESS_TYPES)) },
  external_user_onboarded_at: { create: TimestampIn(), update: TimestampIn() },
  metadata: { create: metadataSchema('create'), update: metadataSchema('update') },
  external_user_details: { create: detailsSchema('create'), update: detailsSchema('update') },
};

/** The body a dialect's field table accepts: the same names as its readers, every one optional, nothing else. */
export function bodySchema(fields: Readonly<Record<string, FieldReader>>, mode: Mode, title: string): TObject {
  return Closed(Object.fromEntries(Object.keys(fields).map((field) => [field, Type.Optional(FIELD_SCHEMAS[field][mode])])), { title });
}
