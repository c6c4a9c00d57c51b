import type { Sql } from './sql.js';

/**
 * One migration list for both engines. The SQL is portable; `{{key}}` marks a text column that is
 * compared or sorted: PostgreSQL gets `COLLATE "C"` there so that both engines order by code point and
 * answer byte for byte the same (SQLite's BINARY collation already does).
 *
 * Every table leads its primary key with the organization, and no id comes from a sequence, so the
 * tables can be distributed by organization.
 */
export const MIGRATIONS: readonly { id: string; statements: readonly string[] }[] = [
  {
    id: '0001_tenancy_and_profiles',
    statements: [
      `CREATE TABLE settings (
         key TEXT{{key}} PRIMARY KEY,
         value TEXT NOT NULL
       )`,
      `CREATE TABLE organizations (
         id TEXT{{key}} PRIMARY KEY,
         name TEXT{{key}} NOT NULL UNIQUE,
         created_at BIGINT NOT NULL
       )`,
      `CREATE TABLE workspaces (
         organization_id TEXT{{key}} NOT NULL REFERENCES organizations (id),
         id TEXT{{key}} NOT NULL,
         name TEXT{{key}} NOT NULL,
         is_default INTEGER NOT NULL,
         created_at BIGINT NOT NULL,
         PRIMARY KEY (organization_id, id),
         UNIQUE (organization_id, name)
       )`,
      // looked up by the hash of the presented secret: the one global lookup, since the key names its org
      `CREATE TABLE api_keys (
         secret_hash TEXT{{key}} PRIMARY KEY,
         id TEXT{{key}} NOT NULL UNIQUE,
         organization_id TEXT{{key}} NOT NULL REFERENCES organizations (id),
         workspace_id TEXT{{key}},
         role TEXT NOT NULL,
         hint TEXT NOT NULL,
         created_at BIGINT NOT NULL,
         revoked_at BIGINT
       )`,
      `CREATE TABLE user_profiles (
         organization_id TEXT{{key}} NOT NULL,
         id TEXT{{key}} NOT NULL,
         name TEXT,
         name_key TEXT{{key}},
         access_type TEXT NOT NULL,
         internal INTEGER NOT NULL,
         reference_id TEXT,
         onboarded_at BIGINT,
         account_status TEXT,
         country TEXT,
         email_hash TEXT,
         entity_type TEXT,
         name_hash TEXT,
         metadata TEXT NOT NULL,
         created_at BIGINT NOT NULL,
         updated_at BIGINT NOT NULL,
         deleted_at BIGINT,
         PRIMARY KEY (organization_id, id)
       )`,
      // one index per list order; deleted profiles never appear in lists, so they stay out of these
      `CREATE INDEX user_profiles_by_created ON user_profiles (organization_id, created_at, id) WHERE deleted_at IS NULL`,
      `CREATE INDEX user_profiles_by_name ON user_profiles (organization_id, name_key, id)
         WHERE deleted_at IS NULL AND name_key IS NOT NULL`,
      `CREATE INDEX user_profiles_nameless ON user_profiles (organization_id, id) WHERE deleted_at IS NULL AND name_key IS NULL`,
      `CREATE TABLE url_tokens (
         organization_id TEXT{{key}} NOT NULL,
         token_hash TEXT{{key}} NOT NULL,
         profile_id TEXT{{key}} NOT NULL,
         kind TEXT NOT NULL,
         created_at BIGINT NOT NULL,
         expires_at BIGINT NOT NULL,
         PRIMARY KEY (organization_id, token_hash)
       )`,
    ],
  },
  {
    id: '0002_programs_enforcement_history',
    statements: [
      // programs and open enforcement actions live in the profile row: one read renders a profile, and the
      // row lock that serialises updates covers them too
      `ALTER TABLE user_profiles ADD COLUMN cyber TEXT`,
      `ALTER TABLE user_profiles ADD COLUMN efs TEXT`,
      `ALTER TABLE user_profiles ADD COLUMN enforcement TEXT NOT NULL DEFAULT '[]'`,
      // 1 while an application or an identity check awaits the provider: the review queue
      `ALTER TABLE user_profiles ADD COLUMN awaiting_review INTEGER NOT NULL DEFAULT 0`,
      `CREATE INDEX user_profiles_review_queue ON user_profiles (organization_id, updated_at, id)
         WHERE deleted_at IS NULL AND awaiting_review = 1`,
      `CREATE TABLE profile_history (
         organization_id TEXT{{key}} NOT NULL,
         profile_id TEXT{{key}} NOT NULL,
         id TEXT{{key}} NOT NULL,
         at BIGINT NOT NULL,
         actor_type TEXT NOT NULL,
         actor_id TEXT,
         event TEXT NOT NULL,
         detail TEXT NOT NULL,
         PRIMARY KEY (organization_id, profile_id, id)
       )`,
    ],
  },
  {
    id: '0003_webhooks',
    statements: [
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
    ],
  },
  {
    id: '0004_covering_list_indexes',
    statements: [
      // every column a list page's key query names, so that it reads its index alone: a SQLite server
      // takes the profiles themselves from memory (ProfileCache)
      `DROP INDEX user_profiles_by_created`,
      `DROP INDEX user_profiles_by_name`,
      `DROP INDEX user_profiles_nameless`,
      `CREATE INDEX user_profiles_by_created ON user_profiles (organization_id, created_at, id, deleted_at) WHERE deleted_at IS NULL`,
      `CREATE INDEX user_profiles_by_name ON user_profiles (organization_id, name_key, id, deleted_at)
         WHERE deleted_at IS NULL AND name_key IS NOT NULL`,
      `CREATE INDEX user_profiles_nameless ON user_profiles (organization_id, id, name_key, deleted_at)
         WHERE deleted_at IS NULL AND name_key IS NULL`,
    ],
  },
  {
    id: '0005_creation_record_in_profile_row',
    statements: [
      // a profile's creation record (who created it, with what name) is kept in its own row, not as a
      // profile_history row: a create then writes one table instead of two (ProfileRepository.history joins
      // them). Profiles created earlier keep their profile_history row, and these stay null.
      `ALTER TABLE user_profiles ADD COLUMN created_by_type TEXT`,
      `ALTER TABLE user_profiles ADD COLUMN created_by_id TEXT`,
      `ALTER TABLE user_profiles ADD COLUMN created_name TEXT`,
    ],
  },
  {
    id: '0006_webhook_delivery_queues',
    statements: [
      // each endpoint's queue in due order: the worker takes a few from the head of each queue in turn
      // (WebhookRepository.lease), so one endpoint's backlog never hides another's first event
      `CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (organization_id, endpoint_id, next_attempt_at) WHERE state = 'pending'`,
      // the attempts in flight, by any process: the worker caps them per endpoint and per organization
      `CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (lease_until) WHERE state = 'pending' AND lease_until > 0`,
      `DROP INDEX webhook_deliveries_due`,
    ],
  },
  {
    id: '0007_console_session_revocations',
    statements: [
      // sign-outs of review-console sessions, kept until the session would have expired (ConsoleSessionRepository)
      `CREATE TABLE console_session_revocations (
         organization_id TEXT{{key}} NOT NULL,
         session_id TEXT{{key}} NOT NULL,
         expires_at BIGINT NOT NULL,
         PRIMARY KEY (organization_id, session_id)
       )`,
      `CREATE INDEX console_session_revocations_expiry ON console_session_revocations (expires_at)`,
    ],
  },
  {
    id: '0008_emulator_and_fixtures',
    statements: [
      // emulator (UPROF_EMULATOR=1): each organization's test clock runs ahead of the real time by its offset
      `CREATE TABLE emulator_clocks (
         organization_id TEXT{{key}} PRIMARY KEY,
         offset_ms BIGINT NOT NULL
       )`,
      // emulator: the next `remaining` requests of a route (or of every route, '*') answer `status`
      `CREATE TABLE emulator_faults (
         organization_id TEXT{{key}} NOT NULL,
         route TEXT{{key}} NOT NULL,
         status INTEGER NOT NULL,
         remaining INTEGER NOT NULL,
         retry_after INTEGER,
         created_at BIGINT NOT NULL,
         PRIMARY KEY (organization_id, route)
       )`,
      // the fixture an organization was last loaded from: what an emulator reset restores
      `CREATE TABLE fixture_sources (
         organization_id TEXT{{key}} PRIMARY KEY,
         name TEXT NOT NULL,
         fixture TEXT NOT NULL,
         loaded_at BIGINT NOT NULL
       )`,
    ],
  },
  {
    id: '0010_pages_evidence_branding_search',
    statements: [
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
    ],
  },
];

const MIGRATION_LOCK = 7_411_029_113; // any constant; names the advisory lock every process takes

function forEngine(sql: Sql, statement: string): string {
  return statement.replaceAll('{{key}}', sql.engine === 'postgres' ? ' COLLATE "C"' : '');
}

/**
 * Applies pending migrations in one transaction. Safe when several processes start at once: SQLite's
 * `BEGIN IMMEDIATE` and PostgreSQL's transaction-scoped advisory lock let one migrate while the others
 * wait, then find nothing left to do. Returns the ids it applied.
 */
export async function migrate(sql: Sql): Promise<string[]> {
  return sql.transaction(async (tx) => {
    await tx.lockNamed(MIGRATION_LOCK);
    await tx.run(`CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`);
    const done = new Set((await tx.all<{ id: string }>('SELECT id FROM schema_migrations')).map((row) => row.id));
    const applied: string[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.id)) continue;
      for (const statement of migration.statements) await tx.run(forEngine(tx, statement));
      await tx.run('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)', [migration.id, Date.now()]);
      applied.push(migration.id);
    }
    return applied;
  });
}

/** Ids of migrations this code knows that the database has not applied (readiness: GET /readyz). */
export async function pendingMigrations(sql: Sql): Promise<string[]> {
  const applied = new Set((await sql.values('SELECT id FROM schema_migrations')) as string[]);
  return MIGRATIONS.map((m) => m.id).filter((id) => !applied.has(id));
}
