import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSql } from '../../src/store/index.ts';
import type { Sql } from '../../src/store/sql.ts';
import { engines } from '../support/engines.ts';

/**
 * `batch(statements, { independent: true })`: on PostgreSQL one statement (data-modifying CTEs), one round trip;
 * on SQLite an ordinary group-committed batch. Either way: all or nothing, and the rows each statement changed.
 */
for (const engine of await engines()) {
  describe(`independent batches [${engine.name}]`, () => {
    let sql: Sql;
    let drop: () => Promise<void>;
    before(async () => {
      const database = await engine.createDatabase();
      drop = database.drop;
      sql = openSql({ databaseUrl: database.url });
      await sql.run('CREATE TABLE parent (id TEXT PRIMARY KEY)');
      await sql.run('CREATE TABLE child (id TEXT PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES parent (id), n INTEGER NOT NULL)');
    });
    after(async () => {
      await sql.close();
      await drop();
    });
    const ids = async (table: string) => (await sql.values(`SELECT id FROM ${table} ORDER BY id`)).map(String);

    it('answers the rows each statement changed, 0 included, and applies them all', async () => {
      const changes = await sql.batch([
        { sql: 'INSERT INTO parent (id) VALUES (?), (?)', params: ['p1', 'p2'] },
        { sql: 'INSERT INTO child (id, parent_id, n) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM parent WHERE id = ?)', params: ['c0', 'p0', 1, 'p0'] },
        { sql: 'UPDATE parent SET id = id WHERE id = ?', params: ['nobody'] },
      ], { independent: true });
      assert.deepEqual(changes, [2, 0, 0]);
      assert.deepEqual(await ids('parent'), ['p1', 'p2']);
    });

    it('a row one statement inserts satisfies another\'s foreign key, checked at the end', async () => {
      const changes = await sql.batch([
        { sql: 'INSERT INTO parent (id) VALUES (?)', params: ['p3'] },
        { sql: 'INSERT INTO child (id, parent_id, n) VALUES (?, ?, ?)', params: ['c3', 'p3', 3] },
      ], { independent: true });
      assert.deepEqual(changes, [1, 1]);
      assert.deepEqual(await ids('child'), ['c3']);
    });

    it('why the statements must be independent: on PostgreSQL they all read one snapshot, taken before any of them', async () => {
      const changes = await sql.batch([
        { sql: 'INSERT INTO parent (id) VALUES (?)', params: ['p6'] },
        { sql: 'INSERT INTO child (id, parent_id, n) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM parent WHERE id = ?)', params: ['c6', 'p6', 6, 'p6'] },
      ], { independent: true });
      // one statement (PostgreSQL): the second does not see the first's row; one after the other (SQLite): it does
      assert.deepEqual(changes, engine.name === 'postgres' ? [1, 0] : [1, 1]);
      await sql.run('DELETE FROM child WHERE id = ?', ['c6']);
      await sql.run('DELETE FROM parent WHERE id = ?', ['p6']);
    });

    it('one failing statement leaves nothing of the others', async () => {
      await assert.rejects(sql.batch([
        { sql: 'INSERT INTO parent (id) VALUES (?)', params: ['p4'] },
        { sql: 'INSERT INTO child (id, parent_id, n) VALUES (?, ?, ?)', params: ['c4', 'p4', 4] },
        { sql: 'INSERT INTO parent (id) VALUES (?)', params: ['p1'] }, // p1 exists: unique violation
      ], { independent: true }), /unique|UNIQUE/);
      assert.deepEqual(await ids('parent'), ['p1', 'p2', 'p3']);
      assert.deepEqual(await ids('child'), ['c3']);
    });

    it('a batch with a statement that is not a write runs as an ordinary transaction', async () => {
      const changes = await sql.batch([
        { sql: 'INSERT INTO parent (id) VALUES (?)', params: ['p5'] },
        { sql: 'SELECT 1', params: [] },
      ], { independent: true });
      assert.equal(changes[0], 1);
      assert.deepEqual(await ids('parent'), ['p1', 'p2', 'p3', 'p5']);
    });
  });
}
