import type { ListPosition, SortOrder } from '../domain/cursor.js';
import { prefixSuccessor } from '../domain/text.js';
import type { Profile } from '../domain/profile.js';
import { creationEntry, describeChange, type Actor, type HistoryEntry } from '../domain/history.js';
import { eventsFor } from '../domain/events.js';
import { newId } from '../ids.js';
import type { ProfileCache } from './profile-cache.js';
import type { Subscriptions } from './subscriptions.js';
import { outboxStatements } from './webhooks.js';
import type { Param, Sql, Statement } from './sql.js';
import { AT, PROFILE_COLUMN_COUNT, PROFILE_COLUMNS, profileInsertStatement, profileUpdateStatement, toProfile } from './profile-table.js';

/**
 * A lookup by key reads `deleted_at` and leaves the deleted row out in code, not in SQL: `deleted_at IS NULL`
 * in its WHERE would let PostgreSQL answer it from a partial list index (which leads with the organization
 * but not the id) instead of the primary key, and it does so while its statistics lag a burst of creates,
 * reading the whole organization for one row.
 */
const KEYED_COLUMNS = `${PROFILE_COLUMNS}, deleted_at`;
const DELETED_AT = PROFILE_COLUMN_COUNT;
const live = (row: unknown[] | undefined): row is unknown[] => row !== undefined && row[DELETED_AT] === null;

/** The three index ranges a list page reads: by creation, by folded name, and the nameless profiles. */
type ListPart = 'created' | 'named' | 'nameless';

/**
 * Each row's place in its list order, as one text column (a row read as an array costs SQLite's driver more
 * than the index scan itself): the id (fixed length), followed in name order by the folded name as the
 * index held it. Creation order needs the id alone: created_at never changes, so it comes from the profile.
 */
const PLACE: Record<ListPart, string> = { created: 'id', named: 'id || name_key', nameless: 'id' };
const PROFILE_ID_LENGTH = 'uprof_'.length + 24;

interface Place {
  part: ListPart;
  text: string;
}

const idAt = ({ text }: Place) => (text.length === PROFILE_ID_LENGTH ? text : text.slice(0, PROFILE_ID_LENGTH));

function positionOf({ part, text }: Place, profile: Profile): ListPosition {
  if (part === 'created') return { by: 'created_at', createdAt: profile.createdAt, id: profile.id };
  return { by: 'name', name: part === 'named' ? text.slice(PROFILE_ID_LENGTH) : null, id: profile.id };
}

/**
 * The creation record's id: the profile's own, under the history prefix. It shares the profile's time
 * part, and there is one creation per profile, so it is unique and sorts as history ids do.
 */
const creationRecordId = (profileId: string) => `hist_${profileId.slice('uprof_'.length)}`;

export interface ListQuery {
  order: SortOrder;
  orderBy: 'created_at' | 'name';
  /** the last row of the previous page, if any */
  after: ListPosition | null;
  limit: number;
}

/** A listed profile and its place in the list order, as the page's query saw it (next pages start after it). */
export interface ListedProfile {
  profile: Profile;
  position: ListPosition;
}

/**
 * What a change writes besides the profile row, in the same transaction: history entries that the two
 * states alone cannot tell (a reviewer's decision and note), and rows of other tables (identity checks).
 */
export interface Alongside {
  /** the history entries of the change, from those derived from its states */
  history?: (derived: HistoryEntry[]) => HistoryEntry[];
  statements?: Statement[];
}

/** A search of one organization's profiles (console and operator API). */
export interface SearchQuery {
  /** ASCII-folded (see asciiFold): profiles whose folded name starts with it, in name order */
  namePrefix: string | null;
  /** profiles with exactly this reference id, newest first */
  referenceId: string | null;
  after: ListPosition | null;
  /** rows to read: a page returns one more when there are more */
  limit: number;
}

export interface HistoryRecord extends HistoryEntry {
  id: string;
  at: number;
  actor: Actor;
}

/** History rows for a change, written in the same transaction as the change itself. */
function historyStatements(organizationId: string, profileId: string, actor: Actor, entries: HistoryEntry[], at: number): Statement[] {
  // ids of one change share their time part; sorted, they keep the entries in the order they were described
  const ids = entries.map(() => newId('hist', at)).sort();
  return entries.map((entry, i) => ({
    sql: `INSERT INTO profile_history (organization_id, profile_id, id, at, actor_type, actor_id, event, detail)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    params: [organizationId, profileId, ids[i], at, actor.type, actor.id, entry.event, JSON.stringify(entry.detail)],
  }));
}

/** A profile's row as stored, deleted or not (for fixtures, which restore the ids they name). */
export async function storedProfile(sql: Sql, organizationId: string, id: string): Promise<{ profile: Profile; deleted: boolean } | null> {
  const [row] = await sql.rows(`SELECT deleted_at, ${PROFILE_COLUMNS} FROM user_profiles WHERE organization_id = ? AND id = ?`, [organizationId, id]);
  return row ? { profile: toProfile(row, 1), deleted: row[0] !== null } : null;
}

/**
 * The statements that make the stored row of `profile` exactly `profile`, live, whatever it was before
 * (`stored`: absent, live or deleted), with its history under `actor`, recorded `at` the time of the write.
 * No webhook events: a fixture states what is, nothing happened. The caller keeps ProfileCache in step.
 */
export function putProfileStatements(stored: { profile: Profile; deleted: boolean } | null, profile: Profile, actor: Actor, at: number): Statement[] {
  if (stored === null) return [profileInsertStatement(profile, actor)];
  const before = stored.deleted ? null : stored.profile;
  return [
    profileUpdateStatement(profile),
    {
      sql: 'UPDATE user_profiles SET created_at = ?, deleted_at = NULL WHERE organization_id = ? AND id = ?',
      params: [profile.createdAt, profile.organizationId, profile.id],
    },
    ...historyStatements(profile.organizationId, profile.id, actor, describeChange(before, profile), at),
  ];
}

/**
 * User profiles of one organization. Every method takes the organization: there is no other way in.
 * Every change is recorded in the profile's history, atomically with the change.
 */
export class ProfileRepository {
  /** `cache` and `subscriptions` only where this process is the database's one writer (see ProfileCache) */
  constructor(
    private readonly sql: Sql,
    private readonly cache: ProfileCache | null = null,
    private readonly subscriptions: Subscriptions | null = null,
  ) {}

  async insert(profile: Profile, actor: Actor): Promise<void> {
    const subscribed = await this.subscribedTypes(profile.organizationId);
    // a new id: the cache has nothing to drop. The creation's history record is part of the row.
    // independent: the outbox rows read only the subscriptions, never the new profile (one round trip on PostgreSQL)
    await this.sql.batch([
      profileInsertStatement(profile, actor),
      ...outboxStatements(eventsFor(null, profile), profile.createdAt, subscribed),
    ], { independent: true });
  }

  /** null: not known here, and the outbox statements find out in SQL */
  private async subscribedTypes(organizationId: string): Promise<ReadonlySet<string> | null> {
    return this.subscriptions ? this.subscriptions.of(organizationId) : null;
  }

  async find(organizationId: string, id: string): Promise<Profile | null> {
    const cached = this.cache?.get(organizationId, id);
    if (cached !== undefined) return cached;
    const epoch = this.cache?.epoch ?? 0;
    const [row] = await this.sql.rows(`SELECT ${KEYED_COLUMNS} FROM user_profiles WHERE organization_id = ? AND id = ?`, [organizationId, id]);
    return live(row) ? this.filled(toProfile(row), epoch) : null;
  }

  private filled(profile: Profile, epoch: number): Profile {
    return this.cache ? this.cache.fill(profile, epoch) : profile;
  }

  /** Keeps the cache in step with a write: once it has ended, however it ended, the profile is read afresh. */
  private afterWrite<T>(id: string, write: Promise<T>): Promise<T> {
    return write.finally(() => this.cache?.forget(id));
  }

  /**
   * Read-modify-write of one profile, serialised per profile (a row lock on PostgreSQL, the database
   * lock on SQLite), so concurrent merges never lose each other's keys. `change` may throw to abort
   * with nothing written, or return the profile unchanged to write nothing.
   */
  async update(
    organizationId: string,
    id: string,
    actor: Actor,
    change: (current: Profile) => Profile,
    alongside?: (current: Profile, next: Profile) => Alongside,
  ): Promise<Profile | null> {
    const subscribed = await this.subscribedTypes(organizationId);
    return this.afterWrite(id, this.sql.transaction(async (tx) => {
      const current = await this.lockedRow(tx, organizationId, id);
      if (!current) return null;
      const next = change(current);
      if (next === current) return current;
      const extra = alongside?.(current, next) ?? {};
      const derived = describeChange(current, next);
      await tx.batch([
        profileUpdateStatement(next),
        ...historyStatements(organizationId, id, actor, extra.history ? extra.history(derived) : derived, next.updatedAt),
        ...outboxStatements(eventsFor(current, next), next.updatedAt, subscribed),
        ...(extra.statements ?? []),
      ]);
      return next;
    }));
  }

  /**
   * Marks a profile deleted; false when there was no live profile with that id. Its open enforcement
   * actions end with it, silently (no resolved event).
   */
  async delete(organizationId: string, id: string, actor: Actor, now: number): Promise<boolean> {
    const subscribed = await this.subscribedTypes(organizationId);
    return this.afterWrite(id, this.sql.transaction(async (tx) => {
      const current = await this.lockedRow(tx, organizationId, id);
      if (!current) return false;
      await tx.batch([
        { sql: 'UPDATE user_profiles SET deleted_at = ? WHERE organization_id = ? AND id = ?', params: [now, organizationId, id] },
        ...historyStatements(organizationId, id, actor, describeChange(current, null), now),
        ...outboxStatements(eventsFor(current, null), now, subscribed),
      ]);
      return true;
    }));
  }

  /** Profiles with an application or identity check awaiting the provider, oldest change first. */
  async awaitingReview(organizationId: string, limit = 200): Promise<Profile[]> {
    const rows = await this.sql.rows(
      `SELECT ${PROFILE_COLUMNS} FROM user_profiles WHERE organization_id = ? AND deleted_at IS NULL AND awaiting_review = 1
       ORDER BY updated_at, id LIMIT ?`,
      [organizationId, limit],
    );
    return rows.map((row) => toProfile(row));
  }

  /** Live profiles with a restriction that has lapsed by `now` (of one organization, if named): the sweeper resolves them. */
  async withLapsedActions(now: number, limit: number, organizationId?: string): Promise<{ organizationId: string; id: string }[]> {
    const rows = organizationId === undefined
      ? await this.sql.all<{ organization_id: string; id: string }>(
        'SELECT organization_id, id FROM user_profiles WHERE next_expiry <= ? AND deleted_at IS NULL ORDER BY next_expiry LIMIT ?',
        [now, limit])
      : await this.sql.all<{ organization_id: string; id: string }>(
        'SELECT organization_id, id FROM user_profiles WHERE organization_id = ? AND next_expiry <= ? AND deleted_at IS NULL ORDER BY next_expiry LIMIT ?',
        [organizationId, now, limit]);
    return rows.map((r) => ({ organizationId: r.organization_id, id: r.id }));
  }

  /**
   * A profile's history, newest first (deleted profiles keep theirs): its profile_history rows, then its
   * creation, which is the oldest record and lives in the profile's row (since migration 0005; earlier
   * profiles have it as a profile_history row instead).
   */
  async history(organizationId: string, profileId: string, limit = 200): Promise<HistoryRecord[]> {
    const rows = await this.sql.all<{ id: string; at: number; actor_type: Actor['type']; actor_id: string | null; event: string; detail: string }>(
      `SELECT id, at, actor_type, actor_id, event, detail FROM profile_history
       WHERE organization_id = ? AND profile_id = ? ORDER BY id DESC LIMIT ?`,
      [organizationId, profileId, limit],
    );
    const records: HistoryRecord[] = rows.map((row) => ({
      id: row.id, at: row.at, actor: { type: row.actor_type, id: row.actor_id }, event: row.event, detail: JSON.parse(row.detail),
    }));
    if (records.length === limit) return records;
    const creation = await this.sql.get<{ created_at: number; created_by_type: Actor['type']; created_by_id: string | null; created_name: string | null }>(
      `SELECT created_at, created_by_type, created_by_id, created_name FROM user_profiles
       WHERE organization_id = ? AND id = ? AND created_by_type IS NOT NULL`,
      [organizationId, profileId],
    );
    if (creation) {
      records.push({
        id: creationRecordId(profileId), at: creation.created_at, actor: { type: creation.created_by_type, id: creation.created_by_id },
        ...creationEntry(creation.created_name),
      });
    }
    return records;
  }

  /**
   * One page of a search, in keyset order, plus one row more when there is a next page. A name prefix
   * reads a range of the folded-name index (`name_key` from the prefix up to the prefix's successor) in
   * name order; a reference id reads its own index, newest first; with neither, creation order, newest first.
   */
  async search(organizationId: string, query: SearchQuery): Promise<ListedProfile[]> {
    const where = ['organization_id = ?', 'deleted_at IS NULL'];
    const params: Param[] = [organizationId];
    if (query.referenceId !== null) {
      where.push('reference_id IS NOT NULL', 'reference_id = ?');
      params.push(query.referenceId);
    }
    if (query.namePrefix !== null) {
      const successor = prefixSuccessor(query.namePrefix);
      where.push('name_key IS NOT NULL', 'name_key >= ?');
      params.push(query.namePrefix);
      if (successor !== null) {
        where.push('name_key < ?');
        params.push(successor);
      }
    }
    const byName = query.namePrefix !== null && query.referenceId === null;
    const after = query.after;
    if (byName && after?.by === 'name' && after.name !== null) {
      where.push('(name_key, id) > (?, ?)');
      params.push(after.name, after.id);
    } else if (!byName && after?.by === 'created_at') {
      where.push('(created_at, id) < (?, ?)');
      params.push(after.createdAt, after.id);
    }
    const order = byName ? 'name_key ASC, id ASC' : 'created_at DESC, id DESC';
    const rows = await this.sql.rows(`SELECT name_key, ${PROFILE_COLUMNS} FROM user_profiles WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?`, [
      ...params, query.limit + 1,
    ]);
    return rows.map((row) => {
      const profile = toProfile(row, 1);
      const position: ListPosition = byName
        ? { by: 'name', name: row[0] as string, id: profile.id }
        : { by: 'created_at', createdAt: profile.createdAt, id: profile.id };
      return { profile, position };
    });
  }

  /** Reads a live profile inside a transaction, locking its row on PostgreSQL (SQLite's lock is the database's). */
  private async lockedRow(tx: Sql, organizationId: string, id: string): Promise<Profile | null> {
    const [row] = await tx.rows(`SELECT ${KEYED_COLUMNS} FROM user_profiles WHERE organization_id = ? AND id = ?${tx.forUpdate()}`, [organizationId, id]);
    return live(row) ? toProfile(row) : null;
  }

  /**
   * One page in keyset order (never OFFSET), plus one row more than asked when there is a next page;
   * nameless profiles come last in name order, in both directions. With a cache, the page's query reads
   * only its index (each row's place) and the profiles come from memory.
   */
  async list(organizationId: string, query: ListQuery): Promise<ListedProfile[]> {
    const cache = this.cache;
    if (!cache) {
      return this.page(organizationId, query, async (part, rest, params) =>
        (await this.sql.rows(`SELECT ${PLACE[part]}, ${PROFILE_COLUMNS} ${rest}`, params)).map((row) => {
          const profile = toProfile(row, 1);
          return { profile, position: positionOf({ part, text: row[0] as string }, profile) };
        }),
      );
    }
    const epoch = cache.epoch;
    const places = await this.page(organizationId, query, async (part, rest, params) =>
      (await this.sql.values(`SELECT ${PLACE[part]} ${rest}`, params)).map((text): Place => ({ part, text: text as string })),
    );
    const profiles = places.map((place) => cache.get(organizationId, idAt(place)));
    const missing = places.filter((_, i) => !profiles[i]).map(idAt);
    if (missing.length > 0) {
      // profiles not in memory yet, read in one go per hundred
      const found = new Map<string, Profile>();
      for (let i = 0; i < missing.length; i += 100) {
        const ids = missing.slice(i, i + 100);
        const fetched = await this.sql.rows(
          `SELECT ${KEYED_COLUMNS} FROM user_profiles WHERE organization_id = ? AND id IN (${ids.map(() => '?').join(', ')})`,
          [organizationId, ...ids],
        );
        for (const row of fetched) if (live(row)) found.set(row[AT.id] as string, this.filled(toProfile(row), epoch));
      }
      places.forEach((place, i) => (profiles[i] ||= found.get(idAt(place))));
    }
    const listed: ListedProfile[] = [];
    places.forEach((place, i) => {
      const profile = profiles[i];
      // a profile deleted between the page's query and here is simply not listed
      if (profile) listed.push({ profile, position: positionOf(place, profile) });
    });
    return listed;
  }

  /**
   * Runs the page's index range queries (`read` puts its SELECT list before `rest`) until `limit + 1` rows.
   * Name order is two ranges: named profiles by (folded name, id), then nameless ones by id.
   */
  private async page<T>(
    organizationId: string,
    query: ListQuery,
    read: (part: ListPart, rest: string, params: Param[]) => Promise<T[]>,
  ): Promise<T[]> {
    const want = query.limit + 1;
    const cmp = query.order === 'asc' ? '>' : '<';
    const dir = query.order === 'asc' ? 'ASC' : 'DESC';
    const live = 'FROM user_profiles WHERE organization_id = ? AND deleted_at IS NULL';
    const after = query.after;
    if (query.orderBy === 'created_at') {
      const from = after?.by === 'created_at';
      return read('created', `${live}${from ? ` AND (created_at, id) ${cmp} (?, ?)` : ''} ORDER BY created_at ${dir}, id ${dir} LIMIT ?`,
        from ? [organizationId, after.createdAt, after.id, want] : [organizationId, want]);
    }
    const rows: T[] = [];
    const inNamelessPart = after?.by === 'name' && after.name === null;
    if (!inNamelessPart) {
      const from = after?.by === 'name' && after.name !== null;
      rows.push(...(await read('named', `${live} AND name_key IS NOT NULL${from ? ` AND (name_key, id) ${cmp} (?, ?)` : ''} ORDER BY name_key ${dir}, id ${dir} LIMIT ?`,
        from ? [organizationId, (after as { name: string }).name, after!.id, want] : [organizationId, want])));
    }
    if (rows.length < want) {
      const fromId = inNamelessPart ? after.id : null;
      rows.push(...(await read('nameless', `${live} AND name_key IS NULL${fromId ? ` AND id ${cmp} ?` : ''} ORDER BY id ${dir} LIMIT ?`,
        fromId ? [organizationId, fromId, want - rows.length] : [organizationId, want - rows.length])));
    }
    return rows;
  }
}
