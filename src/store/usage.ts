import type { EventData } from '../domain/events.js';
import { totalTokens, type Tokens } from '../gateway/usage.js';
import type { Sql, Statement } from './sql.js';
import { outboxStatements } from './webhooks.js';

/** One counter row's increment: a profile ('' for none), a UTC minute, an API key, and what was counted. */
export interface UsageRecord {
  organizationId: string;
  profileId: string;
  minute: number;
  keyId: string;
  /** `message`, `count_tokens`, `batch_request`, or `refused:<error code>` */
  kind: string;
  requests: number;
  tokens: Tokens;
}

/** A flush as the meter hands it over: its id (unique per process and flush) and its records. */
export interface UsageFlush {
  id: string;
  at: number;
  records: readonly UsageRecord[];
}

/** Sums over some rows of usage_counts. */
export interface UsageSums {
  requests: number;
  tokens: Tokens;
}

const UPSERT = `INSERT INTO usage_counts (organization_id, profile_id, minute, key_id, kind, requests, input_tokens, output_tokens,
    cache_creation_input_tokens, cache_read_input_tokens)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (organization_id, profile_id, minute, key_id, kind) DO UPDATE SET
    requests = usage_counts.requests + excluded.requests,
    input_tokens = usage_counts.input_tokens + excluded.input_tokens,
    output_tokens = usage_counts.output_tokens + excluded.output_tokens,
    cache_creation_input_tokens = usage_counts.cache_creation_input_tokens + excluded.cache_creation_input_tokens,
    cache_read_input_tokens = usage_counts.cache_read_input_tokens + excluded.cache_read_input_tokens`;

const recordKey = (r: UsageRecord) => `${r.organizationId}\u0000${r.profileId}\u0000${r.minute}\u0000${r.keyId}\u0000${r.kind}`;

/**
 * The statements that add `records` to the counters, in one order (by key) whoever writes them: two PostgreSQL
 * processes flushing at once then lock shared rows in the same order and cannot deadlock.
 */
export function usageStatements(records: readonly UsageRecord[]): Statement[] {
  return [...records]
    .sort((a, b) => (recordKey(a) < recordKey(b) ? -1 : recordKey(a) > recordKey(b) ? 1 : 0))
    .map((r) => ({
      sql: UPSERT,
      params: [r.organizationId, r.profileId, r.minute, r.keyId, r.kind, r.requests, r.tokens.input, r.tokens.output, r.tokens.cacheCreation, r.tokens.cacheRead],
    }));
}

const SUMS = `CAST(SUM(requests) AS BIGINT), CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT),
  CAST(SUM(cache_creation_input_tokens) AS BIGINT), CAST(SUM(cache_read_input_tokens) AS BIGINT)`;

function sumsOf(row: unknown[], from: number): UsageSums {
  const n = (i: number) => Number(row[from + i] ?? 0);
  return { requests: n(0), tokens: { input: n(1), output: n(2), cacheCreation: n(3), cacheRead: n(4) } };
}

/** Which counters a usage query reads: one organization, and one of its profiles or all of them. */
export interface UsageScope {
  organizationId: string;
  /** a profile id, '' for unattributed usage, or null for the whole organization */
  profileId: string | null;
}

/** Metered usage: counters per minute, the ledger of applied flushes, and the threshold notices of budgets. */
export class UsageRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Applies a flush exactly once. Its ledger row and its counter increments commit together, so a flush retried
   * after a failure that hid whether it committed finds its ledger row and changes nothing ('already').
   */
  async applyFlush(flush: UsageFlush): Promise<'applied' | 'already'> {
    let requests = 0;
    let tokens = 0;
    for (const r of flush.records) {
      requests += r.requests;
      tokens += totalTokens(r.tokens);
    }
    return this.sql.transaction(async (tx) => {
      const inserted = await tx.run(
        'INSERT INTO usage_flushes (id, at, records, requests, tokens) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
        [flush.id, flush.at, flush.records.length, requests, tokens],
      );
      if (inserted === 0) return 'already';
      await tx.batch(usageStatements(flush.records));
      return 'applied';
    });
  }

  /** Ledger rows are only needed while a retry could still come: they are dropped after a week. */
  async pruneFlushes(before: number): Promise<void> {
    await this.sql.run('DELETE FROM usage_flushes WHERE at < ?', [before]);
  }

  /** Sums of every applied flush whose id starts with `prefix` (one process's flushes): what it acknowledged. */
  async flushedBy(prefix: string): Promise<{ flushes: number; requests: number; tokens: number }> {
    const row = await this.sql.get<{ flushes: number; requests: number | null; tokens: number | null }>(
      `SELECT CAST(COUNT(*) AS BIGINT) AS flushes, CAST(SUM(requests) AS BIGINT) AS requests, CAST(SUM(tokens) AS BIGINT) AS tokens
       FROM usage_flushes WHERE id >= ? AND id < ?`,
      [prefix, `${prefix}\uffff`],
    );
    return { flushes: Number(row?.flushes ?? 0), requests: Number(row?.requests ?? 0), tokens: Number(row?.tokens ?? 0) };
  }

  /** Sums per bucket of `bucketMs` (UTC-aligned) and kind over [from, to). */
  async byBucket(scope: UsageScope, from: number, to: number, bucketMs: number): Promise<{ bucket: number; kind: string; sums: UsageSums }[]> {
    const { where, params } = scopeFilter(scope);
    const rows = await this.sql.rows(
      `SELECT minute - (minute % ?), kind, ${SUMS} FROM usage_counts WHERE ${where} AND minute >= ? AND minute < ? GROUP BY 1, 2 ORDER BY 1, 2`,
      [bucketMs, ...params, from, to],
    );
    return rows.map((row) => ({ bucket: Number(row[0]), kind: row[1] as string, sums: sumsOf(row, 2) }));
  }

  /** Sums per API key and kind over [from, to). */
  async byKey(scope: UsageScope, from: number, to: number): Promise<{ keyId: string; kind: string; sums: UsageSums }[]> {
    const { where, params } = scopeFilter(scope);
    const rows = await this.sql.rows(
      `SELECT key_id, kind, ${SUMS} FROM usage_counts WHERE ${where} AND minute >= ? AND minute < ? GROUP BY 1, 2 ORDER BY 1, 2`,
      [...params, from, to],
    );
    return rows.map((row) => ({ keyId: row[0] as string, kind: row[1] as string, sums: sumsOf(row, 2) }));
  }

  /** The tokens a profile used from `from` on, in what has been flushed (what a budget counts). */
  async tokensSince(organizationId: string, profileId: string, from: number): Promise<number> {
    const row = await this.sql.get<{ tokens: number | null }>(
      `SELECT CAST(SUM(input_tokens + output_tokens + cache_creation_input_tokens + cache_read_input_tokens) AS BIGINT) AS tokens
       FROM usage_counts WHERE organization_id = ? AND profile_id = ? AND minute >= ?`,
      [organizationId, profileId, from],
    );
    return Number(row?.tokens ?? 0);
  }

  /**
   * Records that a profile's budget window reached its threshold, with the webhook event, both at most once per
   * window however many processes notice it: true when this call was the one.
   */
  async noticeThreshold(organizationId: string, profileId: string, windowStart: number, at: number, event: EventData): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const inserted = await tx.run(
        `INSERT INTO usage_threshold_notices (organization_id, profile_id, window_start, at) VALUES (?, ?, ?, ?)
         ON CONFLICT (organization_id, profile_id, window_start) DO NOTHING`,
        [organizationId, profileId, windowStart, at],
      );
      if (inserted === 0) return false;
      const outbox = outboxStatements([event], at, null);
      if (outbox.length > 0) await tx.batch(outbox);
      return true;
    });
  }
}

function scopeFilter(scope: UsageScope): { where: string; params: string[] } {
  return scope.profileId === null
    ? { where: 'organization_id = ?', params: [scope.organizationId] }
    : { where: 'organization_id = ? AND profile_id = ?', params: [scope.organizationId, scope.profileId] };
}
