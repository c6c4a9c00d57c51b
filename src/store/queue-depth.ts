import type { Sql } from './sql.js';

/**
 * Webhook deliveries still to be sent, across organizations (the `uprof_webhook_pending_deliveries` gauge).
 * Read when /metrics is scraped, off the request path; the `webhook_deliveries_due` index covers it.
 */
export async function pendingDeliveries(sql: Sql): Promise<number> {
  const row = await sql.get<{ n: number | string }>("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE state = 'pending'");
  return Number(row?.n ?? 0);
}
