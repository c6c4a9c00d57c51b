import type { Actor } from '../domain/history.js';
import { awaitsReview, type Profile } from '../domain/profile.js';
import { asciiFold } from '../domain/text.js';
import type { Param, Statement } from './sql.js';

/**
 * The `user_profiles` table, described once: each column with its type, whether a Profile is read from it
 * (`toProfile` below maps each such column by name to its field) and how a Profile is written to it. The
 * SELECT list, the places of the columns in a row, the INSERT and the UPDATE are derived from this list, so
 * a column added here is read, inserted and updated everywhere at once (repositories, fixtures, import,
 * bench seeding), and no two lists can drift apart.
 */

/** Who created a profile, and its name then: the creation record kept in the row (migration 0005). */
export interface Creation {
  by: Actor | null;
  name: string | null;
}

interface Column {
  name: string;
  /** its SQL type (as migrations/ created it) */
  type: 'text' | 'integer' | 'bigint';
  /** read into a Profile (part of PROFILE_COLUMNS; `toProfile` maps it) */
  read?: true;
  /** the column's value for a profile; absent: written by statements of its own (deleted_at) */
  write?: (profile: Profile, creation: Creation) => Param;
  /** written when the row is created, and never changed by an update (the key, the creation facts) */
  fixed?: true;
}

const json = (value: unknown) => JSON.stringify(value);

/** When the profile's next restriction lapses on its own, if any (the sweeper looks profiles up by it). */
function nextExpiry(p: Profile): number | null {
  let next: number | null = null;
  for (const a of p.actions) if (a.expiresAt !== null && (next === null || a.expiresAt < next)) next = a.expiresAt;
  return next;
}

/** In the order of the SELECT lists (rows come back as arrays: see Sql.rows), read columns first. */
const TABLE = [
  { name: 'organization_id', type: 'text', fixed: true, read: true, write: (p) => p.organizationId },
  { name: 'id', type: 'text', fixed: true, read: true, write: (p) => p.id },
  { name: 'name', type: 'text', read: true, write: (p) => p.name },
  { name: 'access_type', type: 'text', read: true, write: (p) => p.accessType },
  { name: 'internal', type: 'integer', read: true, write: (p) => (p.internal ? 1 : 0) },
  { name: 'reference_id', type: 'text', read: true, write: (p) => p.details.reference_id },
  { name: 'onboarded_at', type: 'bigint', read: true, write: (p) => p.details.onboarded_at },
  {
    name: 'account_status',
    type: 'text',
    read: true,
    write: (p) => p.details.account_status,
  },
  { name: 'country', type: 'text', read: true, write: (p) => p.details.country },
  { name: 'email_hash', type: 'text', read: true, write: (p) => p.details.email_hash },
  { name: 'entity_type', type: 'text', read: true, write: (p) => p.details.entity_type },
  { name: 'name_hash', type: 'text', read: true, write: (p) => p.details.name_hash },
  { name: 'metadata', type: 'text', read: true, write: (p) => json(p.metadata) },
  { name: 'cyber', type: 'text', read: true, write: (p) => (p.cyber === null ? null : json(p.cyber)) },
  { name: 'efs', type: 'text', read: true, write: (p) => (p.efs === null ? null : json(p.efs)) },
  { name: 'enforcement', type: 'text', read: true, write: (p) => json(p.actions) },
  // whether the end customer lets the platform bill them (the inference gateway: migration 0011)
  { name: 'billing_authorized', type: 'integer', read: true, write: (p) => (p.billingAuthorized ? 1 : 0) },
  { name: 'created_at', type: 'bigint', fixed: true, read: true, write: (p) => p.createdAt },
  { name: 'updated_at', type: 'bigint', read: true, write: (p) => p.updatedAt },
  // written for the queries that find profiles (name order, the review queue, the sweeper), never read back
  { name: 'name_key', type: 'text', write: (p) => (p.name === null ? null : asciiFold(p.name)) },
  { name: 'awaiting_review', type: 'integer', write: (p) => (awaitsReview(p) ? 1 : 0) },
  { name: 'next_expiry', type: 'bigint', write: nextExpiry },
  // the creation record (ProfileRepository.history)
  { name: 'created_by_type', type: 'text', fixed: true, write: (_, c) => c.by?.type ?? null },
  { name: 'created_by_id', type: 'text', fixed: true, write: (_, c) => c.by?.id ?? null },
  { name: 'created_name', type: 'text', fixed: true, write: (_, c) => c.name },
  // set by the statements that delete and restore a profile
  { name: 'deleted_at', type: 'bigint' },
] as const satisfies readonly Column[];

type ReadColumn = Extract<(typeof TABLE)[number], { read: true }>['name'];
const READ: readonly Column[] = TABLE.filter((c: Column) => c.read);
const INSERTED: readonly Column[] = TABLE.filter((c: Column) => c.write);
const UPDATED = INSERTED.filter((c) => !c.fixed);

/** The columns a Profile is read from, in the order `toProfile` takes them. */
export const PROFILE_COLUMNS = READ.map((c) => c.name).join(', ');
/** How many columns PROFILE_COLUMNS names (a query may read more after them). */
export const PROFILE_COLUMN_COUNT = READ.length;
/** Where each column of PROFILE_COLUMNS stands in a row read with them. */
export const AT = Object.fromEntries(READ.map((c, i) => [c.name, i])) as Readonly<Record<ReadColumn, number>>;

type Nullable<T> = T | null;
type Details = Profile['details'];

/**
 * The profile in a row read with PROFILE_COLUMNS, starting at `from` (a query may put other columns first).
 * One object literal, each field read by its column's place (a list maps 100 rows a request).
 */
export function toProfile(row: readonly unknown[], from = 0): Profile {
  const metadata = row[from + AT.metadata] as string;
  const cyber = row[from + AT.cyber] as Nullable<string>;
  const efs = row[from + AT.efs] as Nullable<string>;
  const enforcement = row[from + AT.enforcement] as string;
  return {
    id: row[from + AT.id] as string,
    organizationId: row[from + AT.organization_id] as string,
    name: row[from + AT.name] as Nullable<string>,
    accessType: row[from + AT.access_type] as Profile['accessType'],
    internal: row[from + AT.internal] === 1,
    details: {
      account_status: row[from + AT.account_status] as Details['account_status'],
      country: row[from + AT.country] as Nullable<string>,
      email_hash: row[from + AT.email_hash] as Nullable<string>,
      entity_type: row[from + AT.entity_type] as Details['entity_type'],
      name_hash: row[from + AT.name_hash] as Nullable<string>,
      onboarded_at: row[from + AT.onboarded_at] as Nullable<number>,
      reference_id: row[from + AT.reference_id] as Nullable<string>,
    },
    // most profiles hold the empty values: skip the parser for them
    metadata: metadata === '{}' ? {} : JSON.parse(metadata),
    cyber: cyber === null ? null : JSON.parse(cyber),
    efs: efs === null ? null : JSON.parse(efs),
    actions: enforcement === '[]' ? [] : JSON.parse(enforcement),
    billingAuthorized: row[from + AT.billing_authorized] === 1,
    createdAt: row[from + AT.created_at] as number,
    updatedAt: row[from + AT.updated_at] as number,
  };
}

/** The columns a new row sets, in the order `profileInsertValues` binds them (bulk loaders use both). */
export const PROFILE_INSERT_COLUMNS: readonly string[] = INSERTED.map((c) => c.name);
/** The SQL types of PROFILE_INSERT_COLUMNS, in their order (a bulk loader casts its arrays to them). */
export const PROFILE_INSERT_TYPES: readonly string[] = INSERTED.map((c) => c.type);
/** The columns an update writes (every written one that is not fixed at creation). */
export const PROFILE_UPDATED_COLUMNS: readonly string[] = UPDATED.map((c) => c.name);

/** A new profile's row: the profile, and its creation record (by default: `creator`, with the profile's name). */
export function profileInsertValues(profile: Profile, creator: Actor, creation: Creation = { by: creator, name: profile.name }): Param[] {
  return INSERTED.map((c) => c.write!(profile, creation));
}

const INSERT_PROFILE =
  `INSERT INTO user_profiles (${PROFILE_INSERT_COLUMNS.join(', ')}) VALUES (${PROFILE_INSERT_COLUMNS.map(() => '?').join(', ')})`;

/** The statement that inserts a new profile, with its creation record. */
export function profileInsertStatement(profile: Profile, creator: Actor): Statement {
  return { sql: INSERT_PROFILE, params: profileInsertValues(profile, creator) };
}

const UPDATE_PROFILE =
  `UPDATE user_profiles SET ${PROFILE_UPDATED_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE organization_id = ? AND id = ?`;
const NO_CREATION: Creation = { by: null, name: null };

/** The statement that writes a live profile's changeable columns. */
export function profileUpdateStatement(next: Profile): Statement {
  const params = UPDATED.map((c) => c.write!(next, NO_CREATION));
  params.push(next.organizationId, next.id);
  return { sql: UPDATE_PROFILE, params };
}
