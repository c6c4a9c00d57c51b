/** Migration 0004_covering_list_indexes: its statements, run in this order (see ../migrations.ts; never change them once released). */
export const statements: readonly string[] = [
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
];
