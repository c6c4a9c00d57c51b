/** Migration 0003_webhooks: its statements, run in this order (see ../migrations.ts; never change them once released). */
export const statements: readonly string[] = [
  // the earliest expires_at among a profile's open actions: the sweeper resolves lapsed ones by this
  `ALTER TABLE user_profiles ADD COLUMN next_expiry BIGINT`,
  `CREATE INDEX user_profiles_next_expiry ON user_profiles (next_expiry) WHERE deleted_at IS NULL AND next_expiry IS NOT NULL`,
  `CREATE TABLE webhook_endpoints (
     organization_id TEXT{{key}} NOT NULL,
     id TEXT{{key}} NOT NULL,
     url TEXT NOT NULL,
     name TEXT NOT NULL,
     description TEXT NOT NULL,
     enabled_events TEXT NOT NULL,
     state TEXT NOT NULL,
     disabled_reason TEXT NOT NULL,
     secret_ciphertext TEXT NOT NULL,
     failed_events INTEGER NOT NULL,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL,
     PRIMARY KEY (organization_id, id)
   )`,
  // the outbox: written in the same transaction as the change that caused the event
  `CREATE TABLE webhook_events (
     organization_id TEXT{{key}} NOT NULL,
     id TEXT{{key}} NOT NULL,
     type TEXT NOT NULL,
     body TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     PRIMARY KEY (organization_id, id)
   )`,
  `CREATE TABLE webhook_deliveries (
     organization_id TEXT{{key}} NOT NULL,
     endpoint_id TEXT{{key}} NOT NULL,
     event_id TEXT{{key}} NOT NULL,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     -- attempts made before the latest re-send: the retry schedule restarts from here
     retry_base INTEGER NOT NULL,
     next_attempt_at BIGINT NOT NULL,
     lease_until BIGINT NOT NULL,
     created_at BIGINT NOT NULL,
     PRIMARY KEY (organization_id, endpoint_id, event_id)
   )`,
  `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending'`,
  `CREATE TABLE webhook_attempts (
     organization_id TEXT{{key}} NOT NULL,
     endpoint_id TEXT{{key}} NOT NULL,
     event_id TEXT{{key}} NOT NULL,
     attempt INTEGER NOT NULL,
     at BIGINT NOT NULL,
     status INTEGER,
     latency_ms INTEGER NOT NULL,
     error TEXT,
     PRIMARY KEY (organization_id, endpoint_id, event_id, attempt)
   )`,
  `CREATE INDEX webhook_attempts_recent ON webhook_attempts (organization_id, endpoint_id, at)`,
];
