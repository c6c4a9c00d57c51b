import type { Sql } from './sql.js';

export type UrlTokenKind = 'action' | 'enrollment';

export interface UrlTokenRecord {
  organizationId: string;
  profileId: string;
  kind: UrlTokenKind;
  createdAt: number;
  expiresAt: number;
}

/** Hosted-page link tokens, stored only as hashes: a database leak gives no usable link. */
export class UrlTokenRepository {
  constructor(private readonly sql: Sql) {}

  async insert(tokenHash: string, token: UrlTokenRecord): Promise<void> {
    await this.sql.run(
      'INSERT INTO url_tokens (organization_id, token_hash, profile_id, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      [token.organizationId, tokenHash, token.profileId, token.kind, token.createdAt, token.expiresAt]);
  }

  async find(organizationId: string, tokenHash: string): Promise<UrlTokenRecord | null> {
    const row = await this.sql.get<{ profile_id: string; kind: UrlTokenKind; created_at: number; expires_at: number }>(
      'SELECT profile_id, kind, created_at, expires_at FROM url_tokens WHERE organization_id = ? AND token_hash = ?',
      [organizationId, tokenHash]);
    return row
      ? { organizationId, profileId: row.profile_id, kind: row.kind, createdAt: row.created_at, expiresAt: row.expires_at }
      : null;
  }
}
