import type { Param, Sql } from './sql.js';
import { usageStatements, type UsageRecord } from './usage.js';

/**
 * A Message Batch created through the gateway. The stub model's batches live here whole (their results are
 * computed at creation); for a batch the upstream holds, uprof keeps whose it is and the results of the requests
 * it errored itself (which never went upstream).
 */
export interface BatchRecord {
  organizationId: string;
  /** the stub's `msgbatch_…`, or the upstream's id */
  id: string;
  workspaceId: string;
  keyId: string;
  /** the profile the batch is attributed to, '' for none */
  profileId: string;
  upstream: boolean;
  /** requests in the batch, those uprof errored itself included */
  requestCount: number;
  createdAt: number;
  /** when a stub batch ends (ignored for upstream batches) */
  endsAt: number;
  cancelInitiatedAt: number | null;
  /** JSONL: every result of a stub batch; the locally errored results of an upstream batch */
  localResults: string;
  /** when its usage was counted (once, at the first complete read of its results) */
  meteredAt: number | null;
}

const COLUMNS =
  'organization_id, id, workspace_id, key_id, profile_id, upstream, request_count, created_at, ends_at, cancel_initiated_at, local_results, metered_at';

function toBatch(row: unknown[]): BatchRecord {
  const [organizationId, id, workspaceId, keyId, profileId, upstream, requestCount, createdAt, endsAt, cancelInitiatedAt, localResults, meteredAt] = row;
  return {
    organizationId: organizationId as string, id: id as string, workspaceId: workspaceId as string, keyId: keyId as string,
    profileId: profileId as string, upstream: upstream === 1, requestCount: Number(requestCount), createdAt: Number(createdAt),
    endsAt: Number(endsAt), cancelInitiatedAt: cancelInitiatedAt === null ? null : Number(cancelInitiatedAt),
    localResults: localResults as string, meteredAt: meteredAt === null ? null : Number(meteredAt),
  };
}

export interface BatchPageQuery {
  limit: number;
  afterId: string | null;
  beforeId: string | null;
}

/** Message Batches of one organization and workspace; every method takes the organization. */
export class MessageBatchRepository {
  constructor(private readonly sql: Sql) {}

  async insert(batch: BatchRecord): Promise<void> {
    const b = batch;
    await this.sql.run(`INSERT INTO message_batches (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      b.organizationId, b.id, b.workspaceId, b.keyId, b.profileId, b.upstream ? 1 : 0, b.requestCount, b.createdAt, b.endsAt,
      b.cancelInitiatedAt, b.localResults, b.meteredAt,
    ]);
  }

  /** A batch of the workspace, or null (another workspace's or organization's batch does not exist here). */
  async find(organizationId: string, workspaceId: string, id: string): Promise<BatchRecord | null> {
    const [row] = await this.sql.rows(
      `SELECT ${COLUMNS} FROM message_batches WHERE organization_id = ? AND id = ? AND workspace_id = ?`, [organizationId, id, workspaceId]);
    return row ? toBatch(row) : null;
  }

  /** Newest first; `afterId` pages on to older batches, `beforeId` back to newer ones. One row more than asked when there are more. */
  async list(organizationId: string, workspaceId: string, query: BatchPageQuery): Promise<BatchRecord[]> {
    const cursorId = query.afterId ?? query.beforeId;
    let from = '';
    const params: Param[] = [organizationId, workspaceId];
    if (cursorId !== null) {
      const cursor = await this.find(organizationId, workspaceId, cursorId);
      if (!cursor) return [];
      from = ` AND (created_at, id) ${query.afterId !== null ? '<' : '>'} (?, ?)`;
      params.push(cursor.createdAt, cursor.id);
    }
    const direction = query.beforeId !== null ? 'ASC' : 'DESC';
    const rows = await this.sql.rows(
      `SELECT ${COLUMNS} FROM message_batches WHERE organization_id = ? AND workspace_id = ?${from}
       ORDER BY created_at ${direction}, id ${direction} LIMIT ?`,
      [...params, query.limit + 1],
    );
    const batches = rows.map(toBatch);
    return query.beforeId !== null ? batches.reverse() : batches;
  }

  /** Starts cancelling a stub batch still in progress; false when it has ended or is already cancelling. */
  async cancel(organizationId: string, id: string, now: number): Promise<boolean> {
    return (await this.sql.run(
      `UPDATE message_batches SET cancel_initiated_at = ?
       WHERE organization_id = ? AND id = ? AND upstream = 0 AND cancel_initiated_at IS NULL AND ends_at > ?`,
      [now, organizationId, id, now])) === 1;
  }

  /**
   * Counts a batch's usage exactly once: marks it metered and adds `records` to the counters in one transaction;
   * false (nothing written) when it was counted before.
   */
  async meterOnce(organizationId: string, id: string, now: number, records: readonly UsageRecord[]): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const claimed = await tx.run(
        'UPDATE message_batches SET metered_at = ? WHERE organization_id = ? AND id = ? AND metered_at IS NULL', [now, organizationId, id]);
      if (claimed === 0) return false;
      if (records.length > 0) await tx.batch(usageStatements(records));
      return true;
    });
  }
}
