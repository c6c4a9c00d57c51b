import Database from 'better-sqlite3';

/**
 * One SQLite file serves one server process (docs/scaling.md), and that process keeps its profiles in
 * memory (ProfileCache): a second server writing the same file would make the first one's memory stale.
 * So a server holds an exclusive lock on `<database>.server-lock` for as long as it runs; a second server
 * is refused at start. The operating system drops the lock when the process ends, however it ends, so a
 * crash never leaves a stale lock behind. Most CLI commands never take it (they touch keys and organizations);
 * `uprof import` and `uprof restore`, which replace profiles, take it for as long as they write.
 *
 * The lock is SQLite's own (an open exclusive transaction on a small file of its own), which works the
 * same between processes and between connections of one process.
 */
/** A server holds the file: nothing that would change the database under its memory may proceed. */
export class ServerLockHeld extends Error {}

export class ServerLock {
  private constructor(private readonly db: Database.Database) {}

  static acquire(databasePath: string): ServerLock {
    const path = `${databasePath}.server-lock`;
    const db = new Database(path, { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      db.close();
      if ((error as { code?: string }).code === 'SQLITE_BUSY') {
        throw new ServerLockHeld(
          `another uprof server is already serving sqlite:${databasePath} (it holds ${path}). One SQLite file ` +
            'serves one server process; to run several, move to PostgreSQL (docs/scaling.md).',
        );
      }
      throw error;
    }
    return new ServerLock(db);
  }

  release(): void {
    if (!this.db.open) return;
    this.db.exec('ROLLBACK');
    this.db.close();
  }
}
