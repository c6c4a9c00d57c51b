/** Migration 0011_gateway: its statements, run in this order (see ../migrations.ts; never change them once released). */
export const statements: readonly string[] = [
  // whether the end customer lets the platform bill them (billing_policy bill_to user_profile): set by the
  // operator and through the portal, part of the profile's standing
  `ALTER TABLE user_profiles ADD COLUMN billing_authorized INTEGER NOT NULL DEFAULT 0`,
  // per organization: whether every inference request must name a user profile
  `CREATE TABLE gateway_settings (
     organization_id TEXT{{key}} PRIMARY KEY,
     require_attribution INTEGER NOT NULL,
     updated_at BIGINT NOT NULL
   )`,
  // metered usage, one row per profile ('' = none), minute, API key and kind (message, count_tokens,
  // batch_request, refused:<error code>); written in batches by src/gateway/meter.ts
  `CREATE TABLE usage_counts (
     organization_id TEXT{{key}} NOT NULL,
     profile_id TEXT{{key}} NOT NULL,
     minute BIGINT NOT NULL,
     key_id TEXT{{key}} NOT NULL,
     kind TEXT{{key}} NOT NULL,
     requests BIGINT NOT NULL,
     input_tokens BIGINT NOT NULL,
     output_tokens BIGINT NOT NULL,
     cache_creation_input_tokens BIGINT NOT NULL,
     cache_read_input_tokens BIGINT NOT NULL,
     PRIMARY KEY (organization_id, profile_id, minute, key_id, kind)
   )`,
  `CREATE INDEX usage_counts_by_minute ON usage_counts (organization_id, minute)`,
  // one row per applied flush, written in the flush's own transaction: a flush retried after an
  // ambiguous failure finds its row and is not applied twice
  `CREATE TABLE usage_flushes (
     id TEXT{{key}} PRIMARY KEY,
     at BIGINT NOT NULL,
     records INTEGER NOT NULL,
     requests BIGINT NOT NULL,
     tokens BIGINT NOT NULL
   )`,
  `CREATE INDEX usage_flushes_by_time ON usage_flushes (at)`,
  `CREATE TABLE usage_budgets (
     organization_id TEXT{{key}} NOT NULL,
     profile_id TEXT{{key}} NOT NULL,
     period TEXT NOT NULL,
     tokens BIGINT NOT NULL,
     notify_at DOUBLE PRECISION,
     updated_at BIGINT NOT NULL,
     PRIMARY KEY (organization_id, profile_id)
   )`,
  // the usage_threshold_reached event of a budget window, at most once
  `CREATE TABLE usage_threshold_notices (
     organization_id TEXT{{key}} NOT NULL,
     profile_id TEXT{{key}} NOT NULL,
     window_start BIGINT NOT NULL,
     at BIGINT NOT NULL,
     PRIMARY KEY (organization_id, profile_id, window_start)
   )`,
  // Message Batches created through the gateway: those the stub model runs, and those the upstream holds
  // (there uprof keeps only whom it belongs to and the requests it errored itself)
  `CREATE TABLE message_batches (
     organization_id TEXT{{key}} NOT NULL,
     id TEXT{{key}} NOT NULL,
     workspace_id TEXT{{key}} NOT NULL,
     key_id TEXT NOT NULL,
     profile_id TEXT NOT NULL,
     upstream INTEGER NOT NULL,
     request_count INTEGER NOT NULL,
     created_at BIGINT NOT NULL,
     ends_at BIGINT NOT NULL,
     cancel_initiated_at BIGINT,
     local_results TEXT NOT NULL,
     metered_at BIGINT,
     PRIMARY KEY (organization_id, id)
   )`,
  `CREATE INDEX message_batches_by_workspace ON message_batches (organization_id, workspace_id, created_at, id)`,
];
