import type { Sql } from './sql.js';

/**
 * Signed-out review-console sessions (decisions §43). A session is a signed cookie any process can check (console/session.ts);
 * signing out must end it on every process sharing the database, so the sign-out is recorded here until the
 * session would have expired anyway, and every console request checks it.
 */
export class ConsoleSessionRepository {
  constructor(private readonly sql: Sql) {}

  /** Records the sign-out, and forgets sign-outs whose sessions have expired (they can no longer be presented). */
  async revoke(organizationId: string, sessionId: string, expiresAt: number, now: number): Promise<void> {
    await this.sql.run(
      'INSERT INTO console_session_revocations (organization_id, session_id, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      [organizationId, sessionId, expiresAt]);
    // maintenance across organizations, like the expiry sweeper: the table holds at most 8 hours of sign-outs
    await this.sql.run('DELETE FROM console_session_revocations WHERE expires_at <= ?', [now]);
  }

  async isRevoked(organizationId: string, sessionId: string): Promise<boolean> {
    const row = await this.sql.get(
      'SELECT 1 AS revoked FROM console_session_revocations WHERE organization_id = ? AND session_id = ?', [organizationId, sessionId]);
    return row !== undefined && row !== null;
  }
}
