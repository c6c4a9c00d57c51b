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
    // the enabled endpoints' event types (webhook_endpoint_events holds only those)
    const types: ReadonlySet<string> = new Set(
      (await this.sql.values('SELECT DISTINCT event_type FROM webhook_endpoint_events WHERE organization_id = ?', [organizationId])) as EventType[],
    );
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
