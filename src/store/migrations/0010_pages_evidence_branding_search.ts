/** Migration 0010_pages_evidence_branding_search: its statements, run in this order (see ../migrations.ts; never change them once released). */
export const statements: readonly string[] = [
  // what the pages call a key ("Alice's key") instead of its id; optional
  `ALTER TABLE api_keys ADD COLUMN name TEXT`,
  // an organization's look in the portal: an accent colour (#rrggbb) and a small PNG logo served from
  // our own origin (base64 in the row, addressed by its SHA-256 so a new logo is a new URL)
  `ALTER TABLE organizations ADD COLUMN brand_accent TEXT`,
  `ALTER TABLE organizations ADD COLUMN brand_logo TEXT`,
  `ALTER TABLE organizations ADD COLUMN brand_logo_sha256 TEXT`,
  // what an end customer submitted for an identity check, sealed with the master key, one row per
  // restriction the check covers; deleted some time after the decision (src/webhooks/worker.ts)
  `CREATE TABLE identity_checks (
     organization_id TEXT{{key}} NOT NULL,
     id TEXT{{key}} NOT NULL,
     profile_id TEXT{{key}} NOT NULL,
     action_id TEXT{{key}} NOT NULL,
     evidence TEXT NOT NULL,
     submitted_at BIGINT NOT NULL,
     result TEXT,
     decided_at BIGINT,
     PRIMARY KEY (organization_id, id)
   )`,
  `CREATE INDEX identity_checks_by_action ON identity_checks (organization_id, profile_id, action_id, id)`,
  `CREATE INDEX identity_checks_decided ON identity_checks (decided_at) WHERE decided_at IS NOT NULL`,
  `CREATE INDEX identity_checks_undecided ON identity_checks (submitted_at) WHERE decided_at IS NULL`,
  // finding a profile by the platform's reference id
  `CREATE INDEX user_profiles_by_reference ON user_profiles (organization_id, reference_id, created_at, id)
     WHERE deleted_at IS NULL AND reference_id IS NOT NULL`,
];
