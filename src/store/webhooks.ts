import { formatTimestamp } from '../domain/time.js';
import type { EventData, EventType } from '../domain/events.js';
import { newEventId } from '../ids.js';
import type { Param, Sql, Statement } from './sql.js';
import type { Subscriptions } from './subscriptions.js';

export interface WebhookEndpoint {
  id: string;
  organizationId: string;
  url: string;
  name: string;
  description: string;
  enabledEvents: EventType[];
  state: 'enabled' | 'disabled';
  disabledReason: string;
  /** consecutive events that exhausted their retries; any success resets it */
  failedEvents: number;
  createdAt: number;
  updatedAt: number;
}

interface EndpointRow {
  organization_id: string; id: string; url: string; name: string; description: string; enabled_events: string;
  state: 'enabled' | 'disabled'; disabled_reason: string; failed_events: number; created_at: number; updated_at: number;
}
const ENDPOINT_COLUMNS = 'organization_id, id, url, name, description, enabled_events, state, disabled_reason, failed_events, created_at, updated_at';
const toEndpoint = (r: EndpointRow): WebhookEndpoint => ({
  id: r.id, organizationId: r.organization_id, url: r.url, name: r.name, description: r.description,
  enabledEvents: JSON.parse(r.enabled_events), state: r.state, disabledReason: r.disabled_reason, failedEvents: r.failed_events,
  createdAt: r.created_at, updatedAt: r.updated_at,
});

/** A delivery the worker has leased: everything needed to make one attempt. */
export interface LeasedDelivery {
  organizationId: string;
  endpointId: string;
  eventId: string;
  url: string;
  secretCiphertext: string;
  body: string;
  attempts: number;
  retryBase: number;
  leaseUntil: number;
}

export interface DeliveryAttempt {
  eventId: string;
  eventType: string;
  attempt: number;
  at: number;
  status: number | null;
  latencyMs: number;
  error: string | null;
  deliveryState: string;
}

export interface EndpointPageQuery {
  limit: number;
  order: 'asc' | 'desc';
  afterId: string | null;
  beforeId: string | null;
}

/**
 * The outbox rows for some events: each event once, and one pending delivery for every enabled endpoint
 * of the organization subscribed to its type — as statements, so they commit with the change itself.
 */
export function outboxStatements(events: readonly EventData[], at: number, subscribed: ReadonlySet<string> | null): Statement[] {
  // `subscribed` (when known) leaves out the events no endpoint will receive: no statement at all
  return events.flatMap((data) => {
    if (subscribed && !subscribed.has(data.type)) return [];
    const id = newEventId();
    const body = JSON.stringify({ type: 'event', id, created_at: formatTimestamp(at), data });
    return [
      {
        // only when some endpoint will receive it: most changes concern no one and cost no outbox row
        sql: `INSERT INTO webhook_events (organization_id, id, type, body, created_at)
              SELECT ?, ?, ?, ?, ? WHERE EXISTS (
                SELECT 1 FROM webhook_endpoints WHERE organization_id = ? AND state = 'enabled' AND enabled_events LIKE ?)`,
        params: [data.organization_id, id, data.type, body, at, data.organization_id, `%"${data.type}"%`],
      },
      {
        // enabled_events is a JSON array of quoted names, so the quoted name matches exactly one entry
        sql: `INSERT INTO webhook_deliveries (organization_id, endpoint_id, event_id, state, attempts, retry_base, next_attempt_at, lease_until, created_at)
              SELECT organization_id, id, ?, 'pending', 0, 0, ?, 0, ? FROM webhook_endpoints
              WHERE organization_id = ? AND state = 'enabled' AND enabled_events LIKE ?`,
        params: [id, at, at, data.organization_id, `%"${data.type}"%`],
      },
    ];
  });
}

/** Events that happen while an endpoint is disabled are never delivered: its queue is dropped. */
const DROP_PENDING = "UPDATE webhook_deliveries SET state = 'dropped' WHERE organization_id = ? AND endpoint_id = ? AND state = 'pending'";

/** Organization webhook endpoints, their outbox and their delivery log. */
export class WebhookRepository {
  /** `subscriptions` only where this process is the database's one writer (see Subscriptions) */
  constructor(private readonly sql: Sql, private readonly subscriptions: Subscriptions | null = null) {}

  /** Runs an endpoint write, then tells `subscriptions` the organization's endpoints changed (whatever the outcome). */
  private endpointsChange<T>(organizationId: string, write: Promise<T>): Promise<T> {
    return write.finally(() => this.subscriptions?.changed(organizationId));
  }

  /** Inserts an endpoint unless the organization already has `cap`; false when the cap is reached. */
  async insert(endpoint: WebhookEndpoint, secretCiphertext: string, cap: number): Promise<boolean> {
    return this.endpointsChange(endpoint.organizationId, this.sql.transaction(async (tx) => {
      if (tx.engine === 'postgres') {
        // serialise creates per organization, so two racing creates cannot both take the last slot
        await tx.run('SELECT pg_advisory_xact_lock(hashtext(?))', [`webhooks:${endpoint.organizationId}`]);
      }
      const row = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM webhook_endpoints WHERE organization_id = ?', [endpoint.organizationId]);
      if (Number(row?.n ?? 0) >= cap) return false;
      await tx.run(
        `INSERT INTO webhook_endpoints (${ENDPOINT_COLUMNS}, secret_ciphertext) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [endpoint.organizationId, endpoint.id, endpoint.url, endpoint.name, endpoint.description, JSON.stringify(endpoint.enabledEvents),
          endpoint.state, endpoint.disabledReason, endpoint.failedEvents, endpoint.createdAt, endpoint.updatedAt, secretCiphertext],
      );
      return true;
    }));
  }

  async find(organizationId: string, id: string): Promise<WebhookEndpoint | null> {
    const row = await this.sql.get<EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organization_id = ? AND id = ?`, [organizationId, id]);
    return row ? toEndpoint(row) : null;
  }

  /** One page in `created_at` (= id) order, plus one more row when there is more. */
  async page(organizationId: string, query: EndpointPageQuery): Promise<WebhookEndpoint[]> {
    const params: Param[] = [organizationId];
    let where = '';
    let dir = query.order === 'asc' ? 'ASC' : 'DESC';
    if (query.afterId) {
      where = ` AND id ${query.order === 'asc' ? '>' : '<'} ?`;
      params.push(query.afterId);
    } else if (query.beforeId) {
      // the documented quirk: the first `limit` endpoints that precede the cursor in list order
      where = ` AND id ${query.order === 'asc' ? '<' : '>'} ?`;
      params.push(query.beforeId);
    }
    params.push(query.limit + 1);
    const rows = await this.sql.all<EndpointRow>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organization_id = ?${where} ORDER BY id ${dir} LIMIT ?`,
      params,
    );
    return rows.map(toEndpoint);
  }

  /**
   * Read-modify-write of one endpoint under its row lock, so a change cannot undo what the delivery worker
   * did meanwhile (an auto-disable, a failure count). A change of `state` drops what is queued, in the
   * same transaction: events of a disabled period are never delivered. `change` returns the endpoint
   * unchanged to write nothing. Null when there is no such endpoint.
   */
  async update(organizationId: string, id: string, change: (current: WebhookEndpoint) => WebhookEndpoint): Promise<WebhookEndpoint | null> {
    return this.endpointsChange(organizationId, this.sql.transaction(async (tx) => {
      const row = await tx.get<EndpointRow>(
        `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organization_id = ? AND id = ?${tx.engine === 'postgres' ? ' FOR UPDATE' : ''}`,
        [organizationId, id],
      );
      if (!row) return null;
      const current = toEndpoint(row);
      const next = change(current);
      if (next === current) return current;
      await tx.run(
        `UPDATE webhook_endpoints SET url = ?, name = ?, description = ?, enabled_events = ?, state = ?, disabled_reason = ?,
           failed_events = ?, updated_at = ? WHERE organization_id = ? AND id = ?`,
        [next.url, next.name, next.description, JSON.stringify(next.enabledEvents), next.state, next.disabledReason,
          next.failedEvents, next.updatedAt, organizationId, id],
      );
      if (next.state !== current.state) await tx.run(DROP_PENDING, [organizationId, id]);
      return next;
    }));
  }

  /** Deletes an endpoint with its queue and log; false when there was none. */
  async delete(organizationId: string, id: string): Promise<boolean> {
    const changes = await this.endpointsChange(organizationId, this.sql.batch([
      { sql: 'DELETE FROM webhook_deliveries WHERE organization_id = ? AND endpoint_id = ?', params: [organizationId, id] },
      { sql: 'DELETE FROM webhook_attempts WHERE organization_id = ? AND endpoint_id = ?', params: [organizationId, id] },
      { sql: 'DELETE FROM webhook_endpoints WHERE organization_id = ? AND id = ?', params: [organizationId, id] },
    ]));
    return changes[2] === 1;
  }

  async setSecret(organizationId: string, id: string, secretCiphertext: string, now: number): Promise<boolean> {
    return (await this.sql.run(
      'UPDATE webhook_endpoints SET secret_ciphertext = ?, updated_at = ? WHERE organization_id = ? AND id = ?',
      [secretCiphertext, now, organizationId, id],
    )) === 1;
  }

  /**
   * Leases up to `limit` due deliveries of enabled endpoints until `leaseUntil`. A leased delivery is
   * invisible to every other worker (any process) until its lease ends, so one event is never delivered
   * concurrently twice; if a worker dies mid-attempt, the lease lapses and another one retries.
   */
  async lease(now: number, leaseUntil: number, limit: number, organizationId?: string): Promise<LeasedDelivery[]> {
    return this.sql.transaction(async (tx) => {
      const skipLocked = tx.engine === 'postgres' ? ' FOR UPDATE OF d SKIP LOCKED' : '';
      // the emulator leases one organization at a time, on that organization's clock
      const only = organizationId === undefined ? '' : ' AND d.organization_id = ?';
      const due = await tx.all<{
        organization_id: string; endpoint_id: string; event_id: string; attempts: number; retry_base: number;
        url: string; secret_ciphertext: string; body: string;
      }>(
        `SELECT d.organization_id, d.endpoint_id, d.event_id, d.attempts, d.retry_base, e.url, e.secret_ciphertext, ev.body
         FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.organization_id = d.organization_id AND e.id = d.endpoint_id
         JOIN webhook_events ev ON ev.organization_id = d.organization_id AND ev.id = d.event_id
         WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND d.lease_until <= ? AND e.state = 'enabled'${only}
         ORDER BY d.next_attempt_at LIMIT ?${skipLocked}`,
        organizationId === undefined ? [now, now, limit] : [now, now, organizationId, limit],
      );
      for (const d of due) {
        await tx.run(
          'UPDATE webhook_deliveries SET lease_until = ? WHERE organization_id = ? AND endpoint_id = ? AND event_id = ?',
          [leaseUntil, d.organization_id, d.endpoint_id, d.event_id],
        );
      }
      return due.map((d) => ({
        organizationId: d.organization_id, endpointId: d.endpoint_id, eventId: d.event_id, url: d.url,
        secretCiphertext: d.secret_ciphertext, body: d.body, attempts: d.attempts, retryBase: d.retry_base, leaseUntil,
      }));
    });
  }

  /** Organizations with deliveries waiting (the emulator's worker leases each on its own clock). */
  async organizationsWithPendingDeliveries(): Promise<string[]> {
    const rows = await this.sql.all<{ organization_id: string }>("SELECT DISTINCT organization_id FROM webhook_deliveries WHERE state = 'pending'");
    return rows.map((r) => r.organization_id);
  }

  /**
   * Records one attempt and its consequence, atomically: delivered, rescheduled, or given up. Giving up
   * counts a failed event against the endpoint, which is disabled at `disableAfter` in a row; a success
   * resets the count. Ignored when the lease was lost (another worker owns the delivery now).
   */
  async recordAttempt(
    delivery: LeasedDelivery,
    attempt: { at: number; status: number | null; latencyMs: number; error: string | null },
    outcome: { kind: 'delivered' } | { kind: 'retry'; nextAttemptAt: number } | { kind: 'failed' },
    disableAfter: number,
  ): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const key = [delivery.organizationId, delivery.endpointId, delivery.eventId];
      const current = await tx.get<{ lease_until: number; attempts: number }>(
        `SELECT lease_until, attempts FROM webhook_deliveries WHERE organization_id = ? AND endpoint_id = ? AND event_id = ?${tx.engine === 'postgres' ? ' FOR UPDATE' : ''}`,
        key,
      );
      if (!current || current.lease_until !== delivery.leaseUntil || current.attempts !== delivery.attempts) return;
      const number = delivery.attempts + 1;
      await tx.run(
        `INSERT INTO webhook_attempts (organization_id, endpoint_id, event_id, attempt, at, status, latency_ms, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [...key, number, attempt.at, attempt.status, attempt.latencyMs, attempt.error],
      );
      const state = outcome.kind === 'delivered' ? 'delivered' : outcome.kind === 'failed' ? 'failed' : 'pending';
      const next = outcome.kind === 'retry' ? outcome.nextAttemptAt : attempt.at;
      await tx.run(
        `UPDATE webhook_deliveries SET state = ?, attempts = ?, next_attempt_at = ?, lease_until = 0
         WHERE organization_id = ? AND endpoint_id = ? AND event_id = ?`,
        [state, number, next, ...key],
      );
      if (outcome.kind === 'delivered') {
        await tx.run('UPDATE webhook_endpoints SET failed_events = 0 WHERE organization_id = ? AND id = ? AND failed_events > 0',
          [delivery.organizationId, delivery.endpointId]);
      } else if (outcome.kind === 'failed') {
        // an auto-disable only ever takes subscriptions away: Subscriptions may keep them (see there)
        await tx.run('UPDATE webhook_endpoints SET failed_events = failed_events + 1 WHERE organization_id = ? AND id = ?',
          [delivery.organizationId, delivery.endpointId]);
        const disabled = await tx.run(
          `UPDATE webhook_endpoints SET state = 'disabled', disabled_reason = ?, updated_at = ?
           WHERE organization_id = ? AND id = ? AND state = 'enabled' AND failed_events >= ?`,
          [`Disabled automatically: ${disableAfter} consecutive event(s) failed to deliver.`, attempt.at,
            delivery.organizationId, delivery.endpointId, disableAfter],
        );
        if (disabled === 1) await tx.run(DROP_PENDING, [delivery.organizationId, delivery.endpointId]);
      }
    });
  }

  /**
   * Queues an event for delivery again (same `webhook-id`) with a fresh retry schedule. 'missing' when the
   * endpoint never had the event; 'in_flight' while an attempt holds the lease (its outcome must land first).
   */
  async resend(organizationId: string, endpointId: string, eventId: string, now: number): Promise<'queued' | 'missing' | 'in_flight'> {
    const changed = await this.sql.run(
      `UPDATE webhook_deliveries SET state = 'pending', retry_base = attempts, next_attempt_at = ?, lease_until = 0
       WHERE organization_id = ? AND endpoint_id = ? AND event_id = ? AND lease_until <= ?`,
      [now, organizationId, endpointId, eventId, now],
    );
    if (changed === 1) return 'queued';
    const exists = await this.sql.get('SELECT 1 AS x FROM webhook_deliveries WHERE organization_id = ? AND endpoint_id = ? AND event_id = ?',
      [organizationId, endpointId, eventId]);
    return exists ? 'in_flight' : 'missing';
  }

  /**
   * Forgets finished deliveries, their attempts and events older than `before` (the delivery log keeps a
   * window, not everything forever). Pending deliveries and the events they need are kept.
   */
  async prune(before: number): Promise<void> {
    await this.sql.batch([
      { sql: `DELETE FROM webhook_attempts WHERE at < ?`, params: [before] },
      { sql: `DELETE FROM webhook_deliveries WHERE state <> 'pending' AND created_at < ?`, params: [before] },
      {
        sql: `DELETE FROM webhook_events WHERE created_at < ? AND NOT EXISTS (
                SELECT 1 FROM webhook_deliveries d WHERE d.organization_id = webhook_events.organization_id AND d.event_id = webhook_events.id)`,
        params: [before],
      },
    ]);
  }

  /** The delivery log of one endpoint, newest attempt first. */
  async attempts(organizationId: string, endpointId: string, limit: number): Promise<DeliveryAttempt[]> {
    const rows = await this.sql.all<{
      event_id: string; type: string; attempt: number; at: number; status: number | null; latency_ms: number; error: string | null; state: string;
    }>(
      `SELECT a.event_id, ev.type, a.attempt, a.at, a.status, a.latency_ms, a.error, d.state
       FROM webhook_attempts a
       JOIN webhook_events ev ON ev.organization_id = a.organization_id AND ev.id = a.event_id
       JOIN webhook_deliveries d ON d.organization_id = a.organization_id AND d.endpoint_id = a.endpoint_id AND d.event_id = a.event_id
       WHERE a.organization_id = ? AND a.endpoint_id = ? ORDER BY a.at DESC, a.attempt DESC LIMIT ?`,
      [organizationId, endpointId, limit],
    );
    return rows.map((r) => ({
      eventId: r.event_id, eventType: r.type, attempt: r.attempt, at: r.at, status: r.status, latencyMs: r.latency_ms, error: r.error,
      deliveryState: r.state,
    }));
  }
}
