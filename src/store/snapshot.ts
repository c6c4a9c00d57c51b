import { existsSync } from 'node:fs';
import { openSql, type StoreOptions } from './index.js';
import { SqliteSql, type Sql } from './sql.js';

/**
 * Runs `work` on one consistent, read-only view of the database, without stopping writers: a SQLite read
 * transaction (WAL lets the server go on writing; its writes after the start are not seen), a PostgreSQL
 * REPEATABLE READ transaction. What `uprof export` reads through, so that a file made beside a running
 * server is one moment's state, however long it takes.
 */
export async function inSnapshot<T>(options: StoreOptions, work: (sql: Sql) => Promise<T>): Promise<T> {
  const url = options.databaseUrl;
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path !== ':memory:' && !existsSync(path)) throw new Error(`no database at ${path}`);
    const sql = SqliteSql.open(path, { synchronous: 'NORMAL' });
    try {
      sql.db.exec('BEGIN'); // deferred: the snapshot starts at the first read and holds no write lock
      const result = await work(sql);
      sql.db.exec('COMMIT');
      return result;
    } finally {
      if (sql.db.inTransaction) sql.db.exec('ROLLBACK');
      await sql.close();
    }
  }
  const sql = openSql({ ...options, postgresPoolSize: 1 });
  try {
    return await sql.transaction(async (tx) => {
      await tx.run('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return work(tx);
    });
  } finally {
    await sql.close();
  }
}
