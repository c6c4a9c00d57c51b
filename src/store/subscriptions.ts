import type { EventType } from '../domain/events.js';
import type { Sql } from './sql.js';

/**
 * Which event types an organization's enabled webhook endpoints subscribe to, remembered by the process
 * that is its database's one writer (a SQLite server; see ProfileCache) so that a profile change nobody
 * subscribes to costs no outbox statement at all. The outbox statements stay conditional in SQL, so
 * remembering a type that is no longer subscribed (an endpoint the worker just disabled) costs only the
 * statement; forgetting one that is would lose events, hence:
 * - every endpoint write through WebhookRepository drops its organization's entry once it has committed;
 * - a read fills an entry only if no endpoint write completed while it read.
 */
export class Subscriptions {
  private readonly byOrganization = new Map<string, ReadonlySet<string>>();
  private writes = 0;

  constructor(private readonly sql: Sql) {}

  async of(organizationId: string): Promise<ReadonlySet<string>> {
    const known = this.byOrganization.get(organizationId);
    if (known) return known;
    const epoch = this.writes;
    const rows = await this.sql.all<{ enabled_events: string }>(
      "SELECT enabled_events FROM webhook_endpoints WHERE organization_id = ? AND state = 'enabled'",
      [organizationId],
    );
    const types = new Set(rows.flatMap((row) => JSON.parse(row.enabled_events) as EventType[]));
    if (epoch === this.writes) {
      if (this.byOrganization.size >= 10_000) this.byOrganization.clear(); // bounded
      this.byOrganization.set(organizationId, types);
    }
    return types;
  }

  /** After an endpoint write (or a failed one, which may have committed): read afresh next time. */
  changed(organizationId: string): void {
    this.writes++;
    this.byOrganization.delete(organizationId);
  }
}
