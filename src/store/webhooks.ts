import { formatTimestamp } from '../domain/time.js';
import type { EventData, EventType } from '../domain/events.js';
import { newEventId } from '../ids.js';
import type { Param, Sql, Statement } from './sql.js';
import type { Subscriptions } from './subscriptions.js';
import { ENDPOINT_COLUMNS, endpointInsertStatement, endpointUpdateStatement, toEndpoint, type EndpointRow } from './endpoint-table.js';

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
 * of the organization subscribed to its type — as statements, so they commit with the change itself. The
 * subscribers are read from webhook_endpoint_events by (organization, event type): an index range.
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
                SELECT 1 FROM webhook_endpoint_events WHERE organization_id = ? AND event_type = ?)`,
        params: [data.organization_id, id, data.type, body, at, data.organization_id, data.type],
      },
      {
        sql: `INSERT INTO webhook_deliveries (organization_id, endpoint_id, event_id, state, attempts, retry_base, next_attempt_at, lease_until, created_at)
              SELECT organization_id, endpoint_id, ?, 'pending', 0, 0, ?, 0, ? FROM webhook_endpoint_events
              WHERE organization_id = ? AND event_type = ?`,
        params: [id, at, at, data.organization_id, data.type],
      },
    ];
  });
}

/**
 * The statements that make an endpoint's rows in webhook_endpoint_events what fan-out needs: one per event
 * type it is subscribed to while it is enabled, none while it is disabled or once it is gone. Every write of
 * an endpoint's `enabled_events` or `state` runs them in its own transaction.
 */
export function subscriptionStatements(
  organizationId: string,
  endpointId: string,
  endpoint: { enabledEvents: readonly string[]; state: 'enabled' | 'disabled' } | null,
): Statement[] {
  const clear = { sql: 'DELETE FROM webhook_endpoint_events WHERE organization_id = ? AND endpoint_id = ?', params: [organizationId, endpointId] };
  const types = endpoint?.state === 'enabled' ? [...new Set(endpoint.enabledEvents)] : [];
  if (types.length === 0) return [clear];
  return [clear, {
    sql: `INSERT INTO webhook_endpoint_events (organization_id, endpoint_id, event_type) VALUES ${types.map(() => '(?, ?, ?)').join(', ')}`,
    params: types.flatMap((type) => [organizationId, endpointId, type]),
  }];
}

/** How many attempts may be in flight at once, over every process sharing the database. */
export interface DeliveryCaps {
  perEndpoint: number;
  perOrganization: number;
}

const LEASE_LOCK = 7_411_029_114; // any constant; names the advisory lock a leasing process holds

/** Deliveries leased until after `?` (now): the attempts in flight (read through the small index of leased deliveries). */
const IN_FLIGHT = `SELECT organization_id, endpoint_id FROM webhook_deliveries WHERE state = 'pending' AND lease_until > 0 AND lease_until > ?`;

/**
 * Every enabled endpoint that has pending deliveries, with the due time of the head of its queue. The
 * endpoints are found by skipping through the queue index (a loose index scan: from one endpoint to the
 * next of its organization, else to the next organization, which starts with a row without endpoint), so
 * this costs a few index probes per organization and endpoint with a queue, however long the queues are.
 */
const QUEUES = `WITH RECURSIVE queues (organization_id, endpoint_id) AS (
    SELECT organization_id, endpoint_id FROM (
      SELECT organization_id, endpoint_id FROM webhook_deliveries WHERE state = 'pending'
      ORDER BY organization_id, endpoint_id LIMIT 1) AS first_queue
    UNION ALL
    SELECT
      CASE WHEN q.endpoint_id IS NULL OR EXISTS (SELECT 1 FROM webhook_deliveries d
             WHERE d.state = 'pending' AND d.organization_id = q.organization_id AND d.endpoint_id > q.endpoint_id)
        THEN q.organization_id
        ELSE (SELECT MIN(d.organization_id) FROM webhook_deliveries d WHERE d.state = 'pending' AND d.organization_id > q.organization_id)
      END,
      CASE WHEN q.endpoint_id IS NULL
        THEN (SELECT MIN(d.endpoint_id) FROM webhook_deliveries d WHERE d.state = 'pending' AND d.organization_id = q.organization_id)
        ELSE (SELECT MIN(d.endpoint_id) FROM webhook_deliveries d
              WHERE d.state = 'pending' AND d.organization_id = q.organization_id AND d.endpoint_id > q.endpoint_id)
      END
    FROM queues q WHERE q.organization_id IS NOT NULL
  )
  SELECT q.organization_id, q.endpoint_id, e.url, e.secret_ciphertext,
    (SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d
     WHERE d.state = 'pending' AND d.organization_id = q.organization_id AND d.endpoint_id = q.endpoint_id) AS head
  FROM queues q CROSS JOIN webhook_endpoints e -- CROSS: SQLite then looks up each endpoint, never scans them all
  WHERE e.organization_id = q.organization_id AND e.id = q.endpoint_id AND e.state = 'enabled'`;

interface QueueRow { organization_id: string; endpoint_id: string; url: string; secret_ciphertext: string; head: number }
interface DueRow { event_id: string; attempts: number; retry_base: number; body: string }
/** One organization's turn-taking in a lease: its attempts in flight and its endpoints' queues. */
interface QueueTurns {
  taken: number;
  queues: { row: QueueRow; taken: number; due: DueRow[] | null }[];
  next: number;
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
      // serialise creates per organization, so two racing creates cannot both take the last slot
      await tx.lockNamed(`webhooks:${endpoint.organizationId}`);
      const row = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM webhook_endpoints WHERE organization_id = ?', [endpoint.organizationId]);
      if (Number(row?.n ?? 0) >= cap) return false;
      await tx.batch([
        endpointInsertStatement(endpoint, secretCiphertext),
        ...subscriptionStatements(endpoint.organizationId, endpoint.id, endpoint),
      ]);
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
    const dir = query.order === 'asc' ? 'ASC' : 'DESC';
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
        `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organization_id = ? AND id = ?${tx.forUpdate()}`,
        [organizationId, id],
      );
      if (!row) return null;
      const current = toEndpoint(row);
      const next = change(current);
      if (next === current) return current;
      await tx.batch([endpointUpdateStatement({ ...next, organizationId, id })]);
      if (next.state !== current.state) await tx.run(DROP_PENDING, [organizationId, id]);
      if (next.state !== current.state || JSON.stringify(next.enabledEvents) !== JSON.stringify(current.enabledEvents)) {
        await tx.batch(subscriptionStatements(organizationId, id, next));
      }
      return next;
    }));
  }

  /** Deletes an endpoint with its queue and log; false when there was none. The endpoint's row goes first (see `recordAttempt`). */
  async delete(organizationId: string, id: string): Promise<boolean> {
    const changes = await this.endpointsChange(organizationId, this.sql.batch([
      { sql: 'DELETE FROM webhook_endpoints WHERE organization_id = ? AND id = ?', params: [organizationId, id] },
      ...subscriptionStatements(organizationId, id, null),
      { sql: 'DELETE FROM webhook_deliveries WHERE organization_id = ? AND endpoint_id = ?', params: [organizationId, id] },
      { sql: 'DELETE FROM webhook_attempts WHERE organization_id = ? AND endpoint_id = ?', params: [organizationId, id] },
    ]));
    return changes[0] === 1;
  }

  async setSecret(organizationId: string, id: string, secretCiphertext: string, now: number): Promise<boolean> {
    return (await this.sql.run(
      'UPDATE webhook_endpoints SET secret_ciphertext = ?, updated_at = ? WHERE organization_id = ? AND id = ?',
      [secretCiphertext, now, organizationId, id],
    )) === 1;
  }

  /**
   * Leases up to `limit` due deliveries until `leaseUntil`, fairly: taking turns between organizations, and
   * within one between its endpoints, each turn the head of a queue, and never more in flight (by any
   * process: leases live in the database) than `caps.perEndpoint` to one endpoint or `caps.perOrganization`
   * to one organization. So a slow or dead endpoint holds a few slots, and a long queue waits behind no one's
   * first event. A leased delivery is invisible to every worker (any process) until its lease ends, so one
   * event is never delivered concurrently twice; if a worker dies mid-attempt, the lease lapses and another
   * one retries. A lease moves the delivery's due time to its end, which keeps leased deliveries out of the
   * heads of the queues.
   */
  async lease(now: number, leaseUntil: number, limit: number, caps: DeliveryCaps, only?: string): Promise<LeasedDelivery[]> {
    if (limit <= 0) return [];
    return this.sql.transaction(async (tx) => {
      // one leaser at a time across processes, so that the caps count every lease
      await tx.lockNamed(LEASE_LOCK);
      const busy = new Map<string, number>();
      for (const row of await tx.all<{ organization_id: string; endpoint_id: string }>(IN_FLIGHT, [now])) {
        for (const key of [row.organization_id, `${row.organization_id} ${row.endpoint_id}`]) busy.set(key, (busy.get(key) ?? 0) + 1);
      }
      const organizations = new Map<string, QueueTurns>();
      // the emulator leases one organization at a time (`only`), on that organization's clock
      const queues = (await tx.all<QueueRow>(QUEUES)).filter((q) => Number(q.head) <= now && (only === undefined || q.organization_id === only));
      for (const queue of queues.sort((a, b) => Number(a.head) - Number(b.head))) {
        const turns = organizations.get(queue.organization_id) ?? { taken: busy.get(queue.organization_id) ?? 0, queues: [], next: 0 };
        turns.queues.push({ row: queue, taken: busy.get(`${queue.organization_id} ${queue.endpoint_id}`) ?? 0, due: null });
        organizations.set(queue.organization_id, turns);
      }
      const skipLocked = tx.forUpdate({ of: 'd', skipLocked: true });
      const leased: LeasedDelivery[] = [];
      for (let progress = true; progress && leased.length < limit; ) {
        progress = false;
        for (const turns of organizations.values()) {
          if (leased.length >= limit) break;
          if (turns.taken >= caps.perOrganization) continue;
          // this organization's next endpoint, in turn, that may take one more and still has one due
          for (let tried = 0; tried < turns.queues.length; tried++) {
            const queue = turns.queues[turns.next];
            turns.next = (turns.next + 1) % turns.queues.length;
            if (queue.taken >= caps.perEndpoint) continue;
            const { organization_id: organizationId, endpoint_id: endpointId } = queue.row;
            queue.due ??= await tx.all<DueRow>(
              `SELECT d.event_id, d.attempts, d.retry_base, ev.body FROM webhook_deliveries d
               JOIN webhook_events ev ON ev.organization_id = d.organization_id AND ev.id = d.event_id
               WHERE d.organization_id = ? AND d.endpoint_id = ? AND d.state = 'pending' AND d.next_attempt_at <= ? AND d.lease_until <= ?
               ORDER BY d.next_attempt_at LIMIT ?${skipLocked}`,
              [organizationId, endpointId, now, now, Math.min(caps.perEndpoint - queue.taken, caps.perOrganization - turns.taken, limit)],
            );
            const due = queue.due.shift();
            if (!due) {
              queue.taken = caps.perEndpoint; // nothing more due there this round
              continue;
            }
            queue.taken++;
            turns.taken++;
            leased.push({
              organizationId, endpointId, eventId: due.event_id, url: queue.row.url, secretCiphertext: queue.row.secret_ciphertext,
              body: due.body, attempts: due.attempts, retryBase: due.retry_base, leaseUntil,
            });
            progress = true;
            break;
          }
        }
      }
      for (const d of leased) {
        await tx.run(
          'UPDATE webhook_deliveries SET lease_until = ?, next_attempt_at = ? WHERE organization_id = ? AND endpoint_id = ? AND event_id = ?',
          [leaseUntil, leaseUntil, d.organizationId, d.endpointId, d.eventId],
        );
      }
      return leased;
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
   * resets the count. Ignored when the lease was lost (another worker owns the delivery now); a delivery
   * dropped while its attempt was in flight keeps its state.
   *
   * Row locks on PostgreSQL are taken endpoint first, then its deliveries, here as in `update` and `delete`
   * (disabling an endpoint drops its pending deliveries): in any other order two of them can deadlock.
   */
  async recordAttempt(
    delivery: LeasedDelivery,
    attempt: { at: number; status: number | null; latencyMs: number; error: string | null },
    outcome: { kind: 'delivered' } | { kind: 'retry'; nextAttemptAt: number } | { kind: 'failed' },
    disableAfter: number,
  ): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const lock = tx.forUpdate();
      const endpoint = [delivery.organizationId, delivery.endpointId];
      if (outcome.kind === 'delivered') {
        // the endpoint answers: its count of failed events starts again (a row lock only when there is one to reset)
        await tx.run('UPDATE webhook_endpoints SET failed_events = 0 WHERE organization_id = ? AND id = ? AND failed_events > 0', endpoint);
      } else if (outcome.kind === 'failed') {
        await tx.get(`SELECT failed_events FROM webhook_endpoints WHERE organization_id = ? AND id = ?${lock}`, endpoint);
      }
      const key = [...endpoint, delivery.eventId];
      const current = await tx.get<{ state: string; lease_until: number; attempts: number }>(
        `SELECT state, lease_until, attempts FROM webhook_deliveries WHERE organization_id = ? AND endpoint_id = ? AND event_id = ?${lock}`,
        key,
      );
      if (!current || current.lease_until !== delivery.leaseUntil || current.attempts !== delivery.attempts) return;
      const number = delivery.attempts + 1;
      await tx.run(
        `INSERT INTO webhook_attempts (organization_id, endpoint_id, event_id, attempt, at, status, latency_ms, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [...key, number, attempt.at, attempt.status, attempt.latencyMs, attempt.error],
      );
      const outcomeState = outcome.kind === 'delivered' ? 'delivered' : outcome.kind === 'failed' ? 'failed' : 'pending';
      const state = current.state === 'pending' ? outcomeState : current.state;
      const next = outcome.kind === 'retry' ? outcome.nextAttemptAt : attempt.at;
      await tx.run(
        `UPDATE webhook_deliveries SET state = ?, attempts = ?, next_attempt_at = ?, lease_until = 0
         WHERE organization_id = ? AND endpoint_id = ? AND event_id = ?`,
        [state, number, next, ...key],
      );
      if (outcome.kind === 'failed' && current.state === 'pending') {
        // an auto-disable only ever takes subscriptions away: Subscriptions may keep them (see there)
        await tx.run('UPDATE webhook_endpoints SET failed_events = failed_events + 1 WHERE organization_id = ? AND id = ?', endpoint);
        const disabled = await tx.run(
          `UPDATE webhook_endpoints SET state = 'disabled', disabled_reason = ?, updated_at = ?
           WHERE organization_id = ? AND id = ? AND state = 'enabled' AND failed_events >= ?`,
          [`Disabled automatically: ${disableAfter} consecutive event(s) failed to deliver.`, attempt.at, ...endpoint, disableAfter],
        );
        if (disabled === 1) await tx.batch([{ sql: DROP_PENDING, params: endpoint }, ...subscriptionStatements(delivery.organizationId, delivery.endpointId, null)]);
      }
    });
  }

  /**
   * Queues an event for delivery again (same `webhook-id`) with a fresh retry schedule. 'missing' when the
   * endpoint never had the event; 'in_flight' while an attempt holds the lease (its outcome must land first);
   * 'disabled' when the endpoint is disabled (events queued then would never go out, or slip out once it is
   * enabled). The endpoint's row is locked first, so it cannot be disabled between the check and the queueing.
   */
  async resend(organizationId: string, endpointId: string, eventId: string, now: number): Promise<'queued' | 'missing' | 'in_flight' | 'disabled'> {
    return this.sql.transaction(async (tx) => {
      const endpoint = await tx.get<{ state: string }>(
        `SELECT state FROM webhook_endpoints WHERE organization_id = ? AND id = ?${tx.forShare()}`,
        [organizationId, endpointId],
      );
      const exists = await tx.get<{ lease_until: number }>(
        'SELECT lease_until FROM webhook_deliveries WHERE organization_id = ? AND endpoint_id = ? AND event_id = ?',
        [organizationId, endpointId, eventId],
      );
      if (endpoint?.state === 'disabled') return 'disabled';
      if (!endpoint || !exists) return 'missing';
      const changed = await tx.run(
        `UPDATE webhook_deliveries SET state = 'pending', retry_base = attempts, next_attempt_at = ?, lease_until = 0
         WHERE organization_id = ? AND endpoint_id = ? AND event_id = ? AND lease_until <= ?`,
        [now, organizationId, endpointId, eventId, now],
      );
      return changed === 1 ? 'queued' : 'in_flight';
    });
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
