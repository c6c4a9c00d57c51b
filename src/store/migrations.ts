import { createHash } from 'node:crypto';
import type { Sql } from './sql.js';

/**
 * One migration list for both engines, in the order they apply. Each migration's statements live in its own
 * file under migrations/, named by its id: adding one is a new file and its id on one line here. The SQL is
 * portable; `{{key}}` marks a text column that is compared or sorted: PostgreSQL gets `COLLATE "C"` there so
 * that both engines order by code point and answer byte for byte the same (SQLite's BINARY collation already
 * does).
 *
 * Every table leads its primary key with the organization, and no id comes from a sequence, so the
 * tables can be distributed by organization.
 *
 * A migration, once released, never changes: the checksum of its statements as run is recorded when it is
 * applied, and a database whose record differs from this code's refuses to start (see `migrate`).
 */
export const MIGRATION_ORDER: readonly string[] = [
  '0001_tenancy_and_profiles',
  '0002_programs_enforcement_history',
  '0003_webhooks',
  '0004_covering_list_indexes',
  '0005_creation_record_in_profile_row',
  '0006_webhook_delivery_queues',
  '0007_console_session_revocations',
  '0008_emulator_and_fixtures',
  '0010_pages_evidence_branding_search',
  '0011_gateway',
  '0012_idempotency_and_rate_limits',
  '0013_webhook_endpoint_events',
];

export interface Migration {
  id: string;
  statements: readonly string[];
}

/** The migrations in their order, each read from its file (`statements`). */
export const MIGRATIONS: readonly Migration[] = await Promise.all(
  MIGRATION_ORDER.map(async (id) => ({ id, statements: ((await import(`./migrations/${id}.js`)) as { statements: readonly string[] }).statements })),
);

const MIGRATION_LOCK = 7_411_029_113; // any constant; names the lock every migrating process takes (Sql.lockNamed)

/** A migration's statements as this engine runs them. */
export function statementsFor(engine: Sql['engine'], statements: readonly string[]): string[] {
  return statements.map((statement) => statement.replaceAll('{{key}}', engine === 'postgres' ? ' COLLATE "C"' : ''));
}

/** SHA-256 (hex) of a migration's statements as this engine runs them, each followed by a NUL. */
export function migrationChecksum(engine: Sql['engine'], statements: readonly string[]): string {
  const hash = createHash('sha256');
  for (const statement of statementsFor(engine, statements)) hash.update(statement).update('\0');
  return hash.digest('hex');
}

/** The database applied a migration that this code knows with other statements: it refuses to start. */
export class MigrationChecksumError extends Error {}

/**
 * Applies pending migrations in one transaction. Safe when several processes start at once: SQLite's
 * `BEGIN IMMEDIATE` and PostgreSQL's transaction-scoped advisory lock let one migrate while the others
 * wait, then find nothing left to do. Returns the ids it applied.
 *
 * First it checks what was applied: every migration this code knows that the database has applied must
 * have been applied with the same statements (its recorded checksum), else it throws MigrationChecksumError
 * and changes nothing. Migrations the code does not know (applied by a newer version) are left alone, so an
 * older process keeps serving a database migrated ahead of it. Databases migrated before checksums were
 * recorded get the column and their checksums now, from this code.
 */
export async function migrate(sql: Sql): Promise<string[]> {
  return sql.transaction(async (tx) => {
    await tx.lockNamed(MIGRATION_LOCK);
    await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL, checksum TEXT)');
    if (!(await hasChecksumColumn(tx))) await tx.run('ALTER TABLE schema_migrations ADD COLUMN checksum TEXT');
    const recorded = new Map(
      (await tx.all<{ id: string; checksum: string | null }>('SELECT id, checksum FROM schema_migrations')).map((row) => [row.id, row.checksum]),
    );
    const applied: string[] = [];
    for (const migration of MIGRATIONS) {
      const checksum = migrationChecksum(tx.engine, migration.statements);
      if (recorded.has(migration.id)) {
        const found = recorded.get(migration.id);
        if (found === null) {
          await tx.run('UPDATE schema_migrations SET checksum = ? WHERE id = ? AND checksum IS NULL', [checksum, migration.id]);
        } else if (found !== checksum) {
          throw new MigrationChecksumError(
            `migration ${migration.id} was applied to this database with other statements than this version of uprof has ` +
            `(checksum ${found} recorded, ${checksum} expected): the migration was changed after it was applied. uprof will not ` +
            'start on this database; run the version that applied it, or restore its migration file as it was released.',
          );
        }
        continue;
      }
      for (const statement of statementsFor(tx.engine, migration.statements)) await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (id, applied_at, checksum) VALUES (?, ?, ?)', [migration.id, Date.now(), checksum]);
      applied.push(migration.id);
    }
    return applied;
  });
}

/** Whether schema_migrations has its checksum column (databases migrated before it was added have not). */
async function hasChecksumColumn(tx: Sql): Promise<boolean> {
  const count = tx.engine === 'postgres'
    ? await tx.get<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'checksum'`)
    : await tx.get<{ n: number }>("SELECT COUNT(*) AS n FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'");
  return Number(count?.n ?? 0) > 0;
}

/** Ids of migrations this code knows that the database has not applied (readiness: GET /readyz). */
export async function pendingMigrations(sql: Sql): Promise<string[]> {
  const applied = new Set((await sql.values('SELECT id FROM schema_migrations')) as string[]);
  return MIGRATIONS.map((m) => m.id).filter((id) => !applied.has(id));
}
