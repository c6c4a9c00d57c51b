import type { Sql } from './sql.js';

/** A kept answer: what a repeat of the request gets back, byte for byte. */
export interface KeptAnswer {
  status: number;
  /** the headers that matter (content-type, anthropic-workspace-id) */
  headers: Record<string, string>;
  /** the body as it was sent (our answers are JSON, so UTF-8 text) */
  body: string;
  /** the id of the request whose answer this is */
  requestId: string;
}

/** What a claim of an idempotency key found. */
export type Claim =
  | { kind: 'claimed' }
  | { kind: 'answered'; answer: KeptAnswer }
  | { kind: 'in_progress'; leaseUntil: number }
  | { kind: 'mismatch' };

export interface ClaimRequest {
  organizationId: string;
  key: string;
  /** the hash of what makes the request the same request (src/http/idempotency.ts) */
  fingerprint: string;
  /** the id of the request that would run it */
  owner: string;
  now: number;
  leaseMs: number;
  ttlMs: number;
}

interface Row {
  fingerprint: string;
  owner: string;
  lease_until: number;
  status: number | null;
  headers: string | null;
  body: string | null;
  expires_at: number;
}

const CLAIMED: Claim = { kind: 'claimed' };

/**
 * Idempotency keys of one organization (the namespace every key of the organization shares). Each step is one
 * atomic statement that commits on its own, never inside the work's transaction: the claim is visible to every
 * process before the work starts, and the answer is stored only after the work has committed.
 */
export class IdempotencyRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Claims `key` for a request: an INSERT that does nothing when the key exists (on PostgreSQL it waits for a
   * concurrent insert of the same key to commit), then a read of what is there. A row past its expiry (not yet
   * swept) is taken over as if absent; an unanswered row whose lease has lapsed (its process died, or took longer
   * than the lease) is taken over by a compare-and-set on its owner, so of many racing retries one runs.
   */
  async claim(request: ClaimRequest): Promise<Claim> {
    const { organizationId, key, fingerprint, owner, now, leaseMs, ttlMs } = request;
    for (let round = 0; round < 3; round++) {
      const inserted = await this.sql.run(
        `INSERT INTO idempotency_keys (organization_id, idempotency_key, fingerprint, owner, lease_until, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (organization_id, idempotency_key) DO NOTHING`,
        [organizationId, key, fingerprint, owner, now + leaseMs, now, now + ttlMs]);
      if (inserted === 1) return CLAIMED;
      const row = await this.sql.get<Row>(
        `SELECT fingerprint, owner, lease_until, status, headers, body, expires_at FROM idempotency_keys
         WHERE organization_id = ? AND idempotency_key = ?`,
        [organizationId, key]);
      if (row === undefined) continue; // swept between the two statements: claim again
      if (row.expires_at <= now) {
        const taken = await this.sql.run(
          `UPDATE idempotency_keys SET fingerprint = ?, owner = ?, lease_until = ?, status = NULL, headers = NULL, body = NULL,
             created_at = ?, expires_at = ?
           WHERE organization_id = ? AND idempotency_key = ? AND expires_at <= ?`,
          [fingerprint, owner, now + leaseMs, now, now + ttlMs, organizationId, key, now]);
        if (taken === 1) return CLAIMED;
        continue;
      }
      if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (row.status !== null) {
        return {
          kind: 'answered',
          answer: { status: row.status, headers: JSON.parse(row.headers ?? '{}'), body: row.body ?? '', requestId: row.owner },
        };
      }
      if (Number(row.lease_until) > now) return { kind: 'in_progress', leaseUntil: Number(row.lease_until) };
      const taken = await this.sql.run(
        `UPDATE idempotency_keys SET owner = ?, lease_until = ?
         WHERE organization_id = ? AND idempotency_key = ? AND owner = ? AND status IS NULL`,
        [owner, now + leaseMs, organizationId, key, row.owner]);
      if (taken === 1) return CLAIMED;
    }
    // three rounds lost to others taking the key: someone runs it now
    return { kind: 'in_progress', leaseUntil: now };
  }

  /**
   * Keeps the answer of the request that owns the claim. False when it no longer does: its lease lapsed and
   * another request took the key over (then that request's answer is the one kept).
   */
  async complete(organizationId: string, key: string, owner: string, answer: Omit<KeptAnswer, 'requestId'>): Promise<boolean> {
    const changed = await this.sql.run(
      `UPDATE idempotency_keys SET status = ?, headers = ?, body = ?, lease_until = 0
       WHERE organization_id = ? AND idempotency_key = ? AND owner = ? AND status IS NULL`,
      [answer.status, JSON.stringify(answer.headers), answer.body, organizationId, key, owner]);
    return changed === 1;
  }

  /** Gives the key up (the request failed with a 5xx): a retry runs the request again. */
  async release(organizationId: string, key: string, owner: string): Promise<void> {
    await this.sql.run(
      'DELETE FROM idempotency_keys WHERE organization_id = ? AND idempotency_key = ? AND owner = ? AND status IS NULL',
      [organizationId, key, owner]);
  }

  /**
   * Deletes keys that expired before `now`, `batch` at a time (each batch a short statement of its own, so
   * requests are never held up behind one long delete). Returns how many went.
   */
  async sweep(now: number, batch = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.sql.run(
        `DELETE FROM idempotency_keys WHERE (organization_id, idempotency_key) IN
           (SELECT organization_id, idempotency_key FROM idempotency_keys WHERE expires_at <= ? LIMIT ?)`,
        [now, batch]);
      total += deleted;
      if (deleted < batch) return total;
    }
  }
}
