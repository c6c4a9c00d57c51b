import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SqliteSql } from '../../src/store/sql.ts';

describe('SQLite group commit', () => {
  async function table() {
    const sql = SqliteSql.open(':memory:', { synchronous: 'NORMAL' });
    sql.db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
    return sql;
  }
  const insert = (k: string, v: string | null) => ({ sql: 'INSERT INTO t (k, v) VALUES (?, ?)', params: [k, v] });
  const rows = (sql: SqliteSql) => sql.db.prepare('SELECT k, v FROM t ORDER BY k').all();

  it('writes queued in one turn commit together, each answered with its changes', async () => {
    const sql = await table();
    const outcomes = await Promise.all([sql.batch([insert('a', '1'), insert('b', '2')]), sql.run('INSERT INTO t (k, v) VALUES (?, ?)', ['c', '3'])]);
    assert.deepEqual(outcomes, [[1, 1], 1]);
    assert.deepEqual(rows(sql), [{ k: 'a', v: '1' }, { k: 'b', v: '2' }, { k: 'c', v: '3' }]);
    await sql.close();
  });

  it('a failing write fails alone and leaves nothing of itself; the writes around it commit', async () => {
    const sql = await table();
    const outcomes = await Promise.allSettled([
      sql.batch([insert('a', '1')]),
      // its first statement succeeds, its second breaks NOT NULL: all of it must go
      sql.batch([insert('b', '2'), insert('c', null)]),
      sql.batch([insert('d', '4')]),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /NOT NULL/);
    assert.deepEqual(rows(sql), [{ k: 'a', v: '1' }, { k: 'd', v: '4' }]);
    // and the connection is left outside any transaction, ready for the next batch
    assert.equal(sql.db.inTransaction, false);
    assert.deepEqual(await sql.batch([insert('e', '5')]), [1]);
    await sql.close();
  });
});
