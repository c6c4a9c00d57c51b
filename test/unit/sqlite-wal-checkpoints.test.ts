import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { walCheckpoints } from '../../src/metrics.ts';
import { SqliteSql } from '../../src/store/sql.ts';
import { RESTART_AFTER_FRAMES } from '../../src/store/wal-checkpoints.ts';

describe('SQLite WAL checkpoints on their own thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uprof-wal-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  function open(backgroundCheckpoints: boolean) {
    const path = join(dir, `db-${++files}.db`);
    const sql = SqliteSql.open(path, { synchronous: 'NORMAL', backgroundCheckpoints });
    sql.db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    return { sql, path };
  }
  const autocheckpoint = (sql: SqliteSql) => sql.db.pragma('wal_autocheckpoint', { simple: true });
  const PAGE = 4096;
  /** restarts counted so far (uprof_sqlite_checkpoints_total{kind="restart"}); this file's tests run one at a time */
  const restarts = async () => (await walCheckpoints.get()).values.find((v) => v.labels.kind === 'restart')?.value ?? 0;

  it('a served connection leaves checkpoints to the thread; any other keeps SQLite\'s own', async () => {
    const served = open(true);
    const plain = open(false);
    assert.equal(autocheckpoint(served.sql), 0);
    assert.ok(served.sql.checkpoints);
    assert.equal(autocheckpoint(plain.sql), 1000);
    assert.equal(plain.sql.checkpoints, null);
    await served.sql.close();
    await plain.sql.close();
  });

  it('under a stream of writes the log stays bounded: it starts over once it holds its threshold', async () => {
    const { sql, path } = open(true);
    const restartsBefore = await restarts();
    const value = 'x'.repeat(2000);
    const rows = 30_000; // ~60 MB written: a log that never started over would hold all of it
    let largestLog = 0;
    let next = 0;
    await Promise.all(Array.from({ length: 20 }, async () => {
      for (let k = next++; k < rows; k = next++) {
        await sql.run('INSERT INTO t (k, v) VALUES (?, ?)', [k, value]);
        if (k % 500 === 0) largestLog = Math.max(largestLog, statSync(`${path}-wal`).size);
      }
    }));
    const started = (await restarts()) - restartsBefore;
    assert.ok(started >= 2, `the log started over ${started} times`);
    assert.ok(largestLog < 6 * RESTART_AFTER_FRAMES * PAGE, `the log reached ${largestLog} bytes`);
    assert.equal(await sql.get<{ n: number }>('SELECT count(*) AS n FROM t').then((r) => r!.n), rows);
    await sql.close();
    // every row is in the database file itself once the last connection has closed
    assert.equal(existsSync(`${path}-wal`), false);
    const reopened = SqliteSql.open(path, { synchronous: 'NORMAL' });
    assert.equal(reopened.db.pragma('integrity_check', { simple: true }), 'ok');
    assert.equal((reopened.db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, rows);
    await reopened.close();
  });

  it('while writes are held, reads go on and writes wait until the hold ends', async () => {
    const { sql } = open(true);
    await sql.run('INSERT INTO t (k, v) VALUES (1, ?)', ['one']);
    let endHold!: () => void;
    const hold = sql.holdWrites(() => new Promise<void>((resolve) => (endHold = resolve)));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(await sql.get('SELECT v FROM t WHERE k = 1'), { v: 'one' });
    let written = false;
    const write = sql.run('INSERT INTO t (k, v) VALUES (2, ?)', ['two']).then(() => (written = true));
    const transaction = sql.transaction(async (tx) => tx.run('INSERT INTO t (k, v) VALUES (3, ?)', ['three']));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(written, false);
    assert.equal(await sql.get('SELECT v FROM t WHERE k = 2'), undefined);
    endHold();
    await Promise.all([hold, write, transaction]);
    assert.deepEqual(await sql.all('SELECT k FROM t ORDER BY k'), [{ k: 1 }, { k: 2 }, { k: 3 }]);
    await sql.close();
  });

  it('when the thread dies, the connection takes SQLite\'s own checkpoints back and says so', async () => {
    const { sql, path } = open(true);
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    await sql.checkpoints!.worker.terminate();
    assert.match((await warned).message, /checkpoints are back on the event loop/);
    assert.equal(autocheckpoint(sql), 1000);
    // and writes go on, the log kept bounded by SQLite itself
    const value = 'y'.repeat(2000);
    for (let k = 0; k < 6000; k++) await sql.batch([{ sql: 'INSERT INTO t (k, v) VALUES (?, ?)', params: [k, value] }]);
    assert.ok(statSync(`${path}-wal`).size < 3 * RESTART_AFTER_FRAMES * PAGE);
    await sql.close();
  });
});
