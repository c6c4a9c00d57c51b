/** Migration 0013_webhook_endpoint_events: its statements, run in this order (see ../migrations.ts; never change them once released). */
export const statements: readonly string[] = [
  // which enabled endpoint receives which event type: a change's outbox statements fan out through the
  // index by (organization, event type) instead of matching the endpoints' JSON lists of events as text.
  // Kept in step with webhook_endpoints in the same transactions (WebhookRepository, fixtures, import):
  // an endpoint has rows here while it is enabled, one per event type it is subscribed to.
  `CREATE TABLE webhook_endpoint_events (
     organization_id TEXT{{key}} NOT NULL,
     endpoint_id TEXT{{key}} NOT NULL,
     event_type TEXT{{key}} NOT NULL,
     PRIMARY KEY (organization_id, endpoint_id, event_type)
   )`,
  `CREATE INDEX webhook_endpoint_events_by_type ON webhook_endpoint_events (organization_id, event_type, endpoint_id)`,
  // the endpoints' subscriptions as they stand: enabled_events is a JSON array of quoted names, so a quoted
  // name matches exactly one entry (the event types as of this migration)
  `INSERT INTO webhook_endpoint_events (organization_id, endpoint_id, event_type)
   SELECT e.organization_id, e.id, t.event_type FROM webhook_endpoints e CROSS JOIN (
     SELECT 'user_profile.enforcement_action_opened' AS event_type
     UNION ALL SELECT 'user_profile.enforcement_action_resolved'
     UNION ALL SELECT 'user_profile.program_status_updated'
     UNION ALL SELECT 'external_key.failed'
     UNION ALL SELECT 'external_key.recovered'
     UNION ALL SELECT 'external_storage.failed'
     UNION ALL SELECT 'external_storage.recovered'
     UNION ALL SELECT 'user_profile.created'
     UNION ALL SELECT 'user_profile.updated'
     UNION ALL SELECT 'user_profile.deleted'
   ) t
   WHERE e.state = 'enabled' AND e.enabled_events LIKE '%"' || t.event_type || '"%'`,
];
