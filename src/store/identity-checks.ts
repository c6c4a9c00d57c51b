import { newId } from '../ids.js';
import type { Sql, Statement } from './sql.js';

/** A submitted identity check on one restriction, its evidence still sealed (src/webhooks/secrets.ts SecretBox). */
export interface StoredIdentityCheck {
  id: string;
  profileId: string;
  actionId: string;
  sealedEvidence: string;
  submittedAt: number;
}

/**
 * The evidence of identity checks: one row per restriction a submission covers, written in the same
 * transaction as the profile change that puts the check in review, marked with the decision in the
 * transaction that decides it, and deleted later by the worker (see `purge`). Never read by the platform
 * API or webhooks: only the review console shows it.
 */
export class IdentityCheckRepository {
  constructor(private readonly sql: Sql) {}

  /** Rows for a submission covering `actionIds`, to run with the profile change (ProfileRepository.update). */
  submissionStatements(organizationId: string, profileId: string, actionIds: readonly string[], sealedEvidence: string, at: number): Statement[] {
    return actionIds.map((actionId) => ({
      sql: `INSERT INTO identity_checks (organization_id, id, profile_id, action_id, evidence, submitted_at, result, decided_at)
            VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)`,
      params: [organizationId, newId('idchk', at), profileId, actionId, sealedEvidence, at],
    }));
  }

  /** Marks the check in review on one restriction as decided, with the change that records the decision. */
  decisionStatements(organizationId: string, profileId: string, actionId: string, result: 'passed' | 'failed', at: number): Statement[] {
    return [{
      sql: `UPDATE identity_checks SET result = ?, decided_at = ?
            WHERE organization_id = ? AND profile_id = ? AND action_id = ? AND decided_at IS NULL`,
      params: [result, at, organizationId, profileId, actionId],
    }];
  }

  /** The undecided checks of a profile, newest first. */
  async inReview(organizationId: string, profileId: string): Promise<StoredIdentityCheck[]> {
    const rows = await this.sql.all<{ id: string; action_id: string; evidence: string; submitted_at: number }>(
      `SELECT id, action_id, evidence, submitted_at FROM identity_checks
       WHERE organization_id = ? AND profile_id = ? AND decided_at IS NULL ORDER BY id DESC`,
      [organizationId, profileId],
    );
    return rows.map((r) => ({ id: r.id, profileId, actionId: r.action_id, sealedEvidence: r.evidence, submittedAt: r.submitted_at }));
  }

  /** Deletes the evidence of checks decided before `decidedBefore`; resolves to how many went. */
  purgeDecided(decidedBefore: number): Promise<number> {
    return this.sql.run('DELETE FROM identity_checks WHERE decided_at IS NOT NULL AND decided_at < ?', [decidedBefore]);
  }

  /** Undecided checks submitted before `submittedBefore` (the worker deletes those no longer in review). */
  async undecidedBefore(submittedBefore: number, limit: number): Promise<{ organizationId: string; id: string; profileId: string; actionId: string }[]> {
    const rows = await this.sql.all<{ organization_id: string; id: string; profile_id: string; action_id: string }>(
      `SELECT organization_id, id, profile_id, action_id FROM identity_checks
       WHERE decided_at IS NULL AND submitted_at < ? ORDER BY submitted_at LIMIT ?`,
      [submittedBefore, limit],
    );
    return rows.map((r) => ({ organizationId: r.organization_id, id: r.id, profileId: r.profile_id, actionId: r.action_id }));
  }

  async remove(organizationId: string, id: string): Promise<void> {
    await this.sql.run('DELETE FROM identity_checks WHERE organization_id = ? AND id = ?', [organizationId, id]);
  }
}
