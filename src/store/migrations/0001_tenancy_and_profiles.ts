/** Migration 0001_tenancy_and_profiles: its statements, run in this order (see ../migrations.ts; never change them once released). */
export const statements: readonly string[] = [
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
];
