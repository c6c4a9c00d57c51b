import type { Actor } from '../domain/history.js';
import type { EndpointRecord, HistoryRecordLine, ProfileRecord, WorkspaceRecord } from '../transfer/records.js';
import { AT, PROFILE_COLUMNS, PROFILE_INSERT_COLUMNS, profileInsertValues, toProfile } from './profile-table.js';
import type { Param, Sql } from './sql.js';
import { subscriptionStatements, type WebhookEndpoint } from './webhooks.js';
import { ENDPOINT_COLUMNS, endpointInsertStatement, toEndpoint, type EndpointRow } from './endpoint-table.js';

/**
 * What `uprof export` reads and `uprof import` writes, by organization, in keyset pages (constant memory at
 * any size). Reads run inside the caller's snapshot (see snapshot.ts); writes inside the caller's one
 * transaction, so an import lands whole or not at all.
 */

const PAGE = 1000;

export async function* exportWorkspaces(sql: Sql, organizationId: string): AsyncGenerator<WorkspaceRecord> {
  const rows = await sql.all<{ id: string; name: string; is_default: number; created_at: number }>(
    'SELECT id, name, is_default, created_at FROM workspaces WHERE organization_id = ? ORDER BY id', [organizationId]);
  for (const r of rows) yield { id: r.id, name: r.name, isDefault: Number(r.is_default) === 1, createdAt: r.created_at };
}

/** Live profiles, by id, with their creation records. */
export async function* exportProfiles(sql: Sql, organizationId: string): AsyncGenerator<ProfileRecord> {
  let after = '';
  for (;;) {
    const rows = await sql.rows(
      `SELECT ${PROFILE_COLUMNS}, created_by_type, created_by_id, created_name FROM user_profiles
       WHERE organization_id = ? AND deleted_at IS NULL AND id > ? ORDER BY id LIMIT ?`,
      [organizationId, after, PAGE]);
    for (const row of rows) {
      const [type, id, name] = row.slice(-3) as [Actor['type'] | null, string | null, string | null];
      yield { profile: toProfile(row), createdBy: type === null ? null : { type, id }, createdName: name };
    }
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1][AT.id] as string;
  }
}

/** History rows of live profiles, by profile and id (creation records travel with their profiles). */
export async function* exportHistory(sql: Sql, organizationId: string): AsyncGenerator<HistoryRecordLine> {
  let after: [string, string] = ['', ''];
  for (;;) {
    const rows = await sql.all<{ profile_id: string; id: string; at: number; actor_type: Actor['type']; actor_id: string | null; event: string; detail: string }>(
      `SELECT h.profile_id, h.id, h.at, h.actor_type, h.actor_id, h.event, h.detail FROM profile_history h
       WHERE h.organization_id = ? AND (h.profile_id, h.id) > (?, ?)
         AND EXISTS (SELECT 1 FROM user_profiles p WHERE p.organization_id = h.organization_id AND p.id = h.profile_id AND p.deleted_at IS NULL)
       ORDER BY h.profile_id, h.id LIMIT ?`,
      [organizationId, after[0], after[1], PAGE]);
    for (const r of rows) {
      yield { profileId: r.profile_id, id: r.id, at: r.at, actor: { type: r.actor_type, id: r.actor_id }, event: r.event, detail: JSON.parse(r.detail) };
    }
    if (rows.length < PAGE) return;
    after = [rows[rows.length - 1].profile_id, rows[rows.length - 1].id];
  }
}

/** Endpoints with their sealed secrets (as stored); `reveal` opens one when the export carries them in clear. */
export async function* exportEndpoints(sql: Sql, organizationId: string, reveal: ((sealed: string) => string) | null): AsyncGenerator<EndpointRecord> {
  const rows = await sql.all<EndpointRow & { secret_ciphertext: string }>(
    `SELECT ${ENDPOINT_COLUMNS}, secret_ciphertext FROM webhook_endpoints WHERE organization_id = ? ORDER BY id`, [organizationId]);
  for (const r of rows) {
    const { organizationId: _organization, ...endpoint } = toEndpoint(r);
    yield { ...endpoint, secret: reveal ? { clear: reveal(r.secret_ciphertext) } : { sealed: r.secret_ciphertext } };
  }
}

const PROFILES_PER_STATEMENT = 100; // 100 × 24 parameters: under SQLite's 32,766 and PostgreSQL's 65,535 (see the test)
const UPDATED_COLUMNS = PROFILE_INSERT_COLUMNS.filter((c) => c !== 'organization_id' && c !== 'id');
const upsertProfiles = (n: number) =>
  `INSERT INTO user_profiles (${PROFILE_INSERT_COLUMNS.join(', ')}) VALUES ` +
  Array.from({ length: n }, () => `(${PROFILE_INSERT_COLUMNS.map(() => '?').join(', ')})`).join(', ') +
  // by id: an import brings a profile to the exported state; one deleted here stays deleted (decisions §19)
  ` ON CONFLICT (organization_id, id) DO UPDATE SET ${UPDATED_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}` +
  ' WHERE user_profiles.deleted_at IS NULL';

/**
 * Writes imported records inside one transaction (`tx`), profiles in multi-row statements. Idempotent by
 * id: importing the same file again changes nothing.
 */
export class ImportWriter {
  private profiles: ProfileRecord[] = [];

  constructor(private readonly tx: Sql, private readonly organizationId: string) {}

  /** Creates the organization unless it exists; false when its name belongs to another organization here. */
  async organization(org: { id: string; name: string; createdAt: number }): Promise<'created' | 'exists' | 'name_taken'> {
    const byId = await this.tx.get<{ name: string }>('SELECT name FROM organizations WHERE id = ?', [org.id]);
    if (byId) return 'exists';
    if (await this.tx.get('SELECT 1 AS x FROM organizations WHERE name = ?', [org.name])) return 'name_taken';
    await this.tx.run('INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)', [org.id, org.name, org.createdAt]);
    return 'created';
  }

  async workspace(w: WorkspaceRecord): Promise<void> {
    await this.tx.run(
      `INSERT INTO workspaces (organization_id, id, name, is_default, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (organization_id, id) DO UPDATE SET name = excluded.name`,
      [this.organizationId, w.id, w.name, w.isDefault ? 1 : 0, w.createdAt]);
  }

  /** The organization has exactly one default workspace (keys and the console rely on it). */
  async defaultWorkspaces(): Promise<number> {
    const row = await this.tx.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM workspaces WHERE organization_id = ? AND is_default = 1', [this.organizationId]);
    return Number(row?.n ?? 0);
  }

  async profile(record: ProfileRecord): Promise<void> {
    this.profiles.push(record);
    if (this.profiles.length >= PROFILES_PER_STATEMENT) await this.flushProfiles();
  }

  async flushProfiles(): Promise<void> {
    if (this.profiles.length === 0) return;
    const params: Param[] = [];
    for (const { profile, createdBy, createdName } of this.profiles) {
      // an export carries the creation record as it was
      params.push(...profileInsertValues(profile, { type: 'system', id: null }, { by: createdBy, name: createdName }));
    }
    await this.tx.run(upsertProfiles(this.profiles.length), params);
    this.profiles = [];
  }

  async history(h: HistoryRecordLine): Promise<void> {
    await this.tx.run(
      `INSERT INTO profile_history (organization_id, profile_id, id, at, actor_type, actor_id, event, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (organization_id, profile_id, id) DO NOTHING`,
      [this.organizationId, h.profileId, h.id, h.at, h.actor.type, h.actor.id, h.event, JSON.stringify(h.detail)]);
  }

  async endpoint(e: EndpointRecord, secretCiphertext: string): Promise<void> {
    const { secret: _secret, ...fields } = e;
    const endpoint = { ...fields, organizationId: this.organizationId, enabledEvents: e.enabledEvents as WebhookEndpoint['enabledEvents'] };
    await this.tx.batch([endpointInsertStatement(endpoint, secretCiphertext, { upsert: true }), ...subscriptionStatements(this.organizationId, e.id, e)]);
  }
}

/**
 * After a large import, PostgreSQL's planner statistics still describe the tables as they were (an empty
 * table, say) until autovacuum comes round: a keyset page could then be planned as a scan of the whole
 * organization (measured: 1.8 s a page of 1,000 after importing 1,000,000 profiles, 3 ms after ANALYZE).
 * SQLite's planner keeps no such statistics here (the app runs no ANALYZE on it).
 */
export async function refreshStatistics(sql: Sql): Promise<void> {
  if (sql.engine !== 'postgres') return;
  for (const table of ['user_profiles', 'profile_history', 'workspaces', 'webhook_endpoints', 'webhook_endpoint_events']) await sql.run(`ANALYZE ${table}`);
}
