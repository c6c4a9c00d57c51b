import { copyFileSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';

/** Whole-copy in one step: one read transaction, so the copy is one moment's state and never restarts. */
const ALL_PAGES = 0x7fffffff;

export interface DatabaseFacts {
  migrations: string[];
  organizations: number;
  profiles: number;
  /** sealed webhook signing secrets, to check them against a master key */
  secrets: string[];
}

/** Opens a SQLite file read-only, checks it is whole (PRAGMA integrity_check) and a uprof database, and says what it holds. */
export function inspectSqlite(path: string): DatabaseFacts {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') throw new Error(`${path} fails PRAGMA integrity_check: ${String(integrity)}`);
    const hasTable = (name: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
    if (!hasTable('schema_migrations') || !hasTable('user_profiles')) throw new Error(`${path} is a SQLite database, but not a uprof one`);
    const count = (sql: string) => Number((db.prepare(sql).get() as { n: number }).n);
    return {
      migrations: db.prepare('SELECT id FROM schema_migrations ORDER BY id').pluck().all() as string[],
      organizations: count('SELECT COUNT(*) AS n FROM organizations'),
      profiles: count('SELECT COUNT(*) AS n FROM user_profiles WHERE deleted_at IS NULL'),
      secrets: db.prepare('SELECT secret_ciphertext FROM webhook_endpoints').pluck().all() as string[],
    };
  } finally {
    db.close();
  }
}

/**
 * A consistent copy of a live SQLite database, through SQLite's online backup API, while a server goes on
 * reading and writing it (WAL: the copy reads one snapshot; writers are never blocked). Every write
 * committed before the copy starts is in it. Written to `<target>.partial` and renamed when whole and
 * checked, so `target` never names half a copy.
 */
export async function backupSqlite(source: string, target: string): Promise<{ bytes: number; facts: DatabaseFacts }> {
  if (existsSync(target)) throw new Error(`${target} exists: choose a new file name (a backup never overwrites)`);
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(partial, { progress: () => ALL_PAGES });
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    db.close();
  }
  let facts: DatabaseFacts;
  try {
    // one self-contained file (rollback journal, not WAL), so that reading it never needs -wal or -shm files
    // beside it; a server that opens it after a restore switches it back to WAL
    const copy = new Database(partial, { fileMustExist: true });
    copy.pragma('journal_mode = DELETE');
    copy.close();
    facts = inspectSqlite(partial);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  renameSync(partial, target);
  return { bytes: statSync(target).size, facts };
}

/**
 * Puts a backup in place of `target` (the caller holds the target's server lock, so no server has it open).
 * The old write-ahead log and shared-memory files go first: left beside the restored file, SQLite would
 * replay the old database's last commits onto it.
 */
export function restoreSqlite(backup: string, target: string): DatabaseFacts {
  if (existsSync(`${backup}-wal`) && statSync(`${backup}-wal`).size > 0) {
    throw new Error(`${backup} has a -wal file beside it: it is in use, or was not closed cleanly; restore from a copy made by uprof backup`);
  }
  const facts = inspectSqlite(backup);
  const incoming = `${target}.restoring`;
  copyFileSync(backup, incoming);
  rmSync(`${target}-wal`, { force: true });
  rmSync(`${target}-shm`, { force: true });
  renameSync(incoming, target);
  return facts;
}
