/** Migration 0006_webhook_delivery_queues: its statements, run in this order (see ../migrations.ts; never change them once released). */
export const statements: readonly string[] = [
  // each endpoint's queue in due order: the worker takes a few from the head of each queue in turn
  // (WebhookRepository.lease), so one endpoint's backlog never hides another's first event
  `CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (organization_id, endpoint_id, next_attempt_at) WHERE state = 'pending'`,
  // the attempts in flight, by any process: the worker caps them per endpoint and per organization
  `CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (lease_until) WHERE state = 'pending' AND lease_until > 0`,
  `DROP INDEX webhook_deliveries_due`,
];
