import { newId } from '../ids.js';
import type { Sql } from './sql.js';

export type KeyRole = 'platform' | 'admin' | 'operator';

export interface Organization { id: string; name: string; createdAt: number }
export interface Workspace { id: string; organizationId: string; name: string; isDefault: boolean }
export interface ApiKeyRecord {
  id: string;
  organizationId: string;
  /** null: an organization-wide key, which may act for any of the organization's workspaces */
  workspaceId: string | null;
  role: KeyRole;
  hint: string;
  /** what the pages call the key; null when it has none (they show its hint) */
  name: string | null;
  createdAt: number;
  revokedAt: number | null;
  /** its own rate limit, requests per second (src/http/rate-limit.ts): null or absent follows RATE_LIMIT_RPS, 0 is none */
  rateLimitRps?: number | null;
}

/** A key as a request sees it: with its organization's default workspace, so no second lookup is needed. */
export interface ResolvedKey extends ApiKeyRecord {
  defaultWorkspaceId: string;
}

interface KeyRow {
  id: string; organization_id: string; workspace_id: string | null; role: KeyRole; hint: string; name: string | null; created_at: number; revoked_at: number | null;
  rate_limit_rps: number | null;
}
const toKey = (row: KeyRow): ApiKeyRecord => ({
  id: row.id, organizationId: row.organization_id, workspaceId: row.workspace_id, role: row.role, hint: row.hint, name: row.name,
  createdAt: row.created_at, revokedAt: row.revoked_at, rateLimitRps: row.rate_limit_rps,
});
const KEY_COLUMNS = 'id, organization_id, workspace_id, role, hint, name, created_at, revoked_at, rate_limit_rps';

/** How an organization looks in the portal: an accent colour and a logo, each optional. */
export interface Branding {
  /** `#rrggbb`, lower case */
  accentColor: string | null;
  /** the SHA-256 (hex) of the stored PNG logo: its address */
  logoSha256: string | null;
}

/** A branding change: a field left out stays as it is; null removes it. */
export interface BrandingChange {
  accentColor?: string | null;
  logo?: { png: Buffer; sha256: string } | null;
}

/** How the pages name a key: its name, and the last characters of its secret. */
export interface KeyLabel { name: string | null; hint: string; role: KeyRole }

interface WorkspaceRow { id: string; organization_id: string; name: string; is_default: number }
const toWorkspace = (row: WorkspaceRow): Workspace => ({
  id: row.id, organizationId: row.organization_id, name: row.name, isDefault: row.is_default === 1,
});

export const DEFAULT_WORKSPACE_NAME = 'Default';

/** Organizations, their workspaces and API keys (stored only as hashes of their secrets). */
export class TenancyRepository {
  constructor(private readonly sql: Sql) {}

  async organizationByName(name: string): Promise<Organization | null> {
    const row = await this.sql.get<{ id: string; name: string; created_at: number }>(
      'SELECT id, name, created_at FROM organizations WHERE name = ?', [name]);
    return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
  }

  async organizationById(id: string): Promise<Organization | null> {
    const row = await this.sql.get<{ id: string; name: string; created_at: number }>(
      'SELECT id, name, created_at FROM organizations WHERE id = ?', [id]);
    return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
  }

  /** Finds or creates the organization and its default workspace, in one transaction. */
  async ensureOrganization(name: string, now: number): Promise<{ organization: Organization; created: boolean }> {
    return this.sql.transaction(async (tx) => {
      const inserted = await tx.run(
        'INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
        [newId('org', now), name, now]);
      const row = (await tx.get<{ id: string; name: string; created_at: number }>(
        'SELECT id, name, created_at FROM organizations WHERE name = ?', [name]))!;
      if (inserted === 1) {
        await tx.run('INSERT INTO workspaces (organization_id, id, name, is_default, created_at) VALUES (?, ?, ?, 1, ?)',
          [row.id, newId('wrkspc', now), DEFAULT_WORKSPACE_NAME, now]);
      }
      return { organization: { id: row.id, name: row.name, createdAt: row.created_at }, created: inserted === 1 };
    });
  }

  /**
   * Creates an organization with its default workspace; null when the name (or `id`) is taken. `id` lets an
   * import keep the organization's id.
   */
  async createOrganization(name: string, now: number, id: string = newId('org', now)): Promise<Organization | null> {
    return this.sql.transaction(async (tx) => {
      const taken = await tx.get('SELECT 1 AS x FROM organizations WHERE name = ? OR id = ?', [name, id]);
      if (taken) return null;
      await tx.run('INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)', [id, name, now]);
      await tx.run('INSERT INTO workspaces (organization_id, id, name, is_default, created_at) VALUES (?, ?, ?, 1, ?)',
        [id, newId('wrkspc', now), DEFAULT_WORKSPACE_NAME, now]);
      return { id, name, createdAt: now };
    });
  }

  /** Every organization, by name, with how many live keys it has (the operator's CLI; never on a request path). */
  async listOrganizations(): Promise<(Organization & { activeKeys: number })[]> {
    const rows = await this.sql.all<{ id: string; name: string; created_at: number; keys: number | string }>(
      `SELECT o.id, o.name, o.created_at,
         (SELECT COUNT(*) FROM api_keys k WHERE k.organization_id = o.id AND k.revoked_at IS NULL) AS keys
       FROM organizations o ORDER BY o.name, o.id`);
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, activeKeys: Number(r.keys) }));
  }

  async ensureWorkspace(organizationId: string, name: string, now: number): Promise<Workspace> {
    await this.sql.run(
      'INSERT INTO workspaces (organization_id, id, name, is_default, created_at) VALUES (?, ?, ?, 0, ?) ON CONFLICT (organization_id, name) DO NOTHING',
      [organizationId, newId('wrkspc', now), name, now]);
    return toWorkspace((await this.sql.get<WorkspaceRow>(
      'SELECT id, organization_id, name, is_default FROM workspaces WHERE organization_id = ? AND name = ?', [organizationId, name]))!);
  }

  async defaultWorkspace(organizationId: string): Promise<Workspace> {
    return toWorkspace((await this.sql.get<WorkspaceRow>(
      'SELECT id, organization_id, name, is_default FROM workspaces WHERE organization_id = ? AND is_default = 1', [organizationId]))!);
  }

  async workspace(organizationId: string, id: string): Promise<Workspace | null> {
    const row = await this.sql.get<WorkspaceRow>(
      'SELECT id, organization_id, name, is_default FROM workspaces WHERE organization_id = ? AND id = ?', [organizationId, id]);
    return row ? toWorkspace(row) : null;
  }

  async insertKey(key: ApiKeyRecord, secretHash: string): Promise<void> {
    await this.sql.run(
      `INSERT INTO api_keys (secret_hash, id, organization_id, workspace_id, role, hint, name, created_at, revoked_at, rate_limit_rps)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
      [secretHash, key.id, key.organizationId, key.workspaceId, key.role, key.hint, key.name, key.createdAt, key.rateLimitRps ?? null]);
  }

  keyBySecretHash(secretHash: string): Promise<ResolvedKey | null> {
    return this.resolvedKey('k.secret_hash', secretHash);
  }

  /** A key by its id (not its secret): how a console session re-checks that its key is still live. */
  keyById(id: string): Promise<ResolvedKey | null> {
    return this.resolvedKey('k.id', id);
  }

  private async resolvedKey(column: 'k.secret_hash' | 'k.id', value: string): Promise<ResolvedKey | null> {
    const row = await this.sql.get<KeyRow & { default_workspace_id: string }>(
      `SELECT k.id, k.organization_id, k.workspace_id, k.role, k.hint, k.name, k.created_at, k.revoked_at, k.rate_limit_rps,
         w.id AS default_workspace_id
       FROM api_keys k JOIN workspaces w ON w.organization_id = k.organization_id AND w.is_default = 1
       WHERE ${column} = ?`,
      [value]);
    return row ? { ...toKey(row), defaultWorkspaceId: row.default_workspace_id } : null;
  }

  /** Keys of one organization, or of every organization for the operator's CLI (never on a request path). */
  async listKeys(organizationId: string | null): Promise<ApiKeyRecord[]> {
    const rows = organizationId
      ? await this.sql.all<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE organization_id = ? ORDER BY created_at, id`, [organizationId])
      : await this.sql.all<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY organization_id, created_at, id`);
    return rows.map(toKey);
  }

  /** The labels of the organization's keys among `ids` (history names its actors by them). */
  async keyLabels(organizationId: string, ids: readonly string[]): Promise<Map<string, KeyLabel>> {
    const labels = new Map<string, KeyLabel>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 100) {
      const part = unique.slice(i, i + 100);
      const rows = await this.sql.all<{ id: string; name: string | null; hint: string; role: KeyRole }>(
        `SELECT id, name, hint, role FROM api_keys WHERE organization_id = ? AND id IN (${part.map(() => '?').join(', ')})`,
        [organizationId, ...part]);
      for (const row of rows) labels.set(row.id, { name: row.name, hint: row.hint, role: row.role });
    }
    return labels;
  }

  /** Names (or, with null, unnames) a key of the organization; false when it has no such key. */
  async setKeyName(organizationId: string, id: string, name: string | null): Promise<boolean> {
    return (await this.sql.run('UPDATE api_keys SET name = ? WHERE organization_id = ? AND id = ?', [name, organizationId, id])) === 1;
  }

  async branding(organizationId: string): Promise<Branding> {
    const row = await this.sql.get<{ brand_accent: string | null; brand_logo_sha256: string | null }>(
      'SELECT brand_accent, brand_logo_sha256 FROM organizations WHERE id = ?', [organizationId]);
    return { accentColor: row?.brand_accent ?? null, logoSha256: row?.brand_logo_sha256 ?? null };
  }

  async setBranding(organizationId: string, change: BrandingChange): Promise<Branding> {
    const statements = [];
    if (change.accentColor !== undefined) {
      statements.push({ sql: 'UPDATE organizations SET brand_accent = ? WHERE id = ?', params: [change.accentColor, organizationId] });
    }
    if (change.logo !== undefined) {
      statements.push({
        sql: 'UPDATE organizations SET brand_logo = ?, brand_logo_sha256 = ? WHERE id = ?',
        params: [change.logo ? change.logo.png.toString('base64') : null, change.logo?.sha256 ?? null, organizationId],
      });
    }
    if (statements.length > 0) await this.sql.batch(statements);
    return this.branding(organizationId);
  }

  /** The organization's logo, when its address is the one given (an old address finds nothing). */
  async logo(organizationId: string, sha256: string): Promise<Buffer | null> {
    const row = await this.sql.get<{ brand_logo: string | null }>(
      'SELECT brand_logo FROM organizations WHERE id = ? AND brand_logo_sha256 = ?', [organizationId, sha256]);
    return row?.brand_logo ? Buffer.from(row.brand_logo, 'base64') : null;
  }

  /** `listKeys` with the names of each key's organization and workspace (for people reading `uprof keys list`). */
  async listKeysWithNames(organizationId: string | null): Promise<(ApiKeyRecord & { organizationName: string; workspaceName: string | null })[]> {
    const rows = await this.sql.all<KeyRow & { organization_name: string; workspace_name: string | null }>(
      `SELECT k.id, k.organization_id, k.workspace_id, k.role, k.hint, k.name, k.created_at, k.revoked_at, k.rate_limit_rps,
         o.name AS organization_name, w.name AS workspace_name
       FROM api_keys k JOIN organizations o ON o.id = k.organization_id
       LEFT JOIN workspaces w ON w.organization_id = k.organization_id AND w.id = k.workspace_id
       ${organizationId ? 'WHERE k.organization_id = ?' : ''} ORDER BY k.organization_id, k.created_at, k.id`,
      organizationId ? [organizationId] : []);
    return rows.map((r) => ({ ...toKey(r), organizationName: r.organization_name, workspaceName: r.workspace_name }));
  }

  /** Revokes a key by id; false when no unrevoked key has that id. */
  async revokeKey(id: string, now: number): Promise<boolean> {
    return (await this.sql.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [now, id])) === 1;
  }
}
