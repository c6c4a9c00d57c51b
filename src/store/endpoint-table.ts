import type { Param, Statement } from './sql.js';
import type { WebhookEndpoint } from './webhooks.js';

/**
 * The `webhook_endpoints` table, described once: each column with how an endpoint is written to it. The
 * SELECT list, the row mapping, the INSERT (and the import's upsert) and the UPDATE are derived from it,
 * for the repository, fixtures and import alike. The sealed signing secret is a column of its own, written
 * with the row and by `WebhookRepository.setSecret`, and read only by those who deliver or export.
 */

interface Column {
  name: string;
  write: (endpoint: WebhookEndpoint) => Param;
  /** written when the row is created, never by an update */
  fixed?: true;
}

const TABLE: readonly Column[] = [
  { name: 'organization_id', fixed: true, write: (e) => e.organizationId },
  { name: 'id', fixed: true, write: (e) => e.id },
  { name: 'url', write: (e) => e.url },
  { name: 'name', write: (e) => e.name },
  { name: 'description', write: (e) => e.description },
  { name: 'enabled_events', write: (e) => JSON.stringify(e.enabledEvents) },
  { name: 'state', write: (e) => e.state },
  { name: 'disabled_reason', write: (e) => e.disabledReason },
  { name: 'failed_events', write: (e) => e.failedEvents },
  { name: 'created_at', fixed: true, write: (e) => e.createdAt },
  { name: 'updated_at', write: (e) => e.updatedAt },
];
const UPDATED = TABLE.filter((c) => !c.fixed);

/** The columns an endpoint is read from (`toEndpoint` maps a row of them). */
export const ENDPOINT_COLUMNS = TABLE.map((c) => c.name).join(', ');

/** A row read with ENDPOINT_COLUMNS. */
export interface EndpointRow {
  organization_id: string; id: string; url: string; name: string; description: string; enabled_events: string;
  state: 'enabled' | 'disabled'; disabled_reason: string; failed_events: number; created_at: number; updated_at: number;
}

export const toEndpoint = (r: EndpointRow): WebhookEndpoint => ({
  id: r.id, organizationId: r.organization_id, url: r.url, name: r.name, description: r.description,
  enabledEvents: JSON.parse(r.enabled_events), state: r.state, disabledReason: r.disabled_reason, failedEvents: Number(r.failed_events),
  createdAt: r.created_at, updatedAt: r.updated_at,
});

const INSERT_COLUMNS = [...TABLE.map((c) => c.name), 'secret_ciphertext'];
const INSERT = `INSERT INTO webhook_endpoints (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`;
/** An import brings an endpoint to the exported state, whatever it was here. */
const UPSERT = `${INSERT} ON CONFLICT (organization_id, id) DO UPDATE SET ${
  INSERT_COLUMNS.filter((c) => c !== 'organization_id' && c !== 'id').map((c) => `${c} = excluded.${c}`).join(', ')}`;

/** The statement that inserts an endpoint with its sealed secret (`upsert`: or overwrites the one with its id). */
export function endpointInsertStatement(endpoint: WebhookEndpoint, secretCiphertext: string, options: { upsert?: boolean } = {}): Statement {
  return { sql: options.upsert ? UPSERT : INSERT, params: [...TABLE.map((c) => c.write(endpoint)), secretCiphertext] };
}

const UPDATE = `UPDATE webhook_endpoints SET ${UPDATED.map((c) => `${c.name} = ?`).join(', ')} WHERE organization_id = ? AND id = ?`;

/** The statement that writes an endpoint's changeable columns (not its secret). */
export function endpointUpdateStatement(endpoint: WebhookEndpoint): Statement {
  return { sql: UPDATE, params: [...UPDATED.map((c) => c.write(endpoint)), endpoint.organizationId, endpoint.id] };
}
