import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { Sql } from '../../src/store/sql.ts';
import { describeEachStore } from '../support/suite.ts';
import { waitUntil } from './webhook-receiver.ts';

/**
 * The Sql seam's locks (forUpdate, forShare, lockNamed) do on each engine what the repositories rely on: on
 * PostgreSQL a second transaction waits for the row or the named lock (and SKIP LOCKED leaves locked rows
 * out); on SQLite the clauses are empty, the write transaction holding the whole database already.
 */

const KEY = 'sql_seam_test';
const read = (tx: Sql, lock: string) => tx.get<{ value: string }>(`SELECT value FROM settings WHERE key = ?${lock}`, [KEY]);

/** The PostgreSQL backend a transaction runs on (to watch it wait). */
const backendOf = async (tx: Sql) => Number((await tx.get<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!.pid);

/** Whether that backend is waiting for a lock now. */
async function waitsForLock(sql: Sql, pid: number | null): Promise<boolean> {
  if (pid === null) return false;
  const row = await sql.get<{ wait_event_type: string | null }>('SELECT wait_event_type FROM pg_stat_activity WHERE pid = ?', [pid]);
  return row?.wait_event_type === 'Lock';
}

/**
 * Runs `take` in a transaction and holds the transaction open, with what it took, until `release`; `taken`
 * resolves once `take` is done, `done` once the transaction has committed.
 */
function holdOpen(sql: Sql, take: (tx: Sql) => Promise<unknown>, then: (tx: Sql) => Promise<unknown> = async () => {}) {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let signal!: () => void;
  const taken = new Promise<void>((resolve) => (signal = resolve));
  const done = sql.transaction(async (tx) => {
    await take(tx);
    signal();
    await held;
    await then(tx);
  });
  return { taken, release, done };
}

describeEachStore('Sql seam locks', (store, engine) => {
  before(async () => {
    await store().sql.run("INSERT INTO settings (key, value) VALUES (?, 'first')", [KEY]);
  });

  if (engine.name === 'sqlite') {
    it('the lock clauses are empty and lockNamed does nothing: the write transaction is exclusive', async () => {
      const sql = store().sql;
      assert.equal(sql.forUpdate(), '');
      assert.equal(sql.forUpdate({ of: 'd', skipLocked: true }), '');
      assert.equal(sql.forShare(), '');
      const value = await sql.transaction(async (tx) => {
        await tx.lockNamed('anything');
        return (await read(tx, tx.forUpdate()))?.value;
      });
      assert.equal(value, 'first');
    });
    return;
  }

  it('forUpdate: a second transaction waits for the row and then reads what the first wrote', async () => {
    const sql = store().sql;
    const first = holdOpen(sql, (tx) => read(tx, tx.forUpdate()), (tx) => tx.run("UPDATE settings SET value = 'second' WHERE key = ?", [KEY]));
    await first.taken;
    let pid: number | null = null;
    const second = sql.transaction(async (tx) => {
      pid = await backendOf(tx);
      return (await read(tx, tx.forUpdate()))?.value;
    });
    await waitUntil(() => waitsForLock(sql, pid), 'the second transaction waits for the row');
    first.release();
    await first.done;
    assert.equal(await second, 'second', 'it read the row once the first committed');
  });

  it('forUpdate with skipLocked leaves a locked row out instead of waiting; forShare lets readers share', async () => {
    const sql = store().sql;
    const first = holdOpen(sql, (tx) => read(tx, tx.forShare()));
    await first.taken;
    const shared = await sql.transaction(async (tx) => (await read(tx, tx.forShare()))?.value);
    assert.ok(shared, 'a shared lock does not keep another shared lock out');
    const skipped = await sql.transaction(async (tx) => read(tx, tx.forUpdate({ skipLocked: true })));
    assert.equal(skipped, undefined, 'the row held by the first transaction is skipped');
    first.release();
    await first.done;
    assert.ok(await sql.transaction(async (tx) => read(tx, tx.forUpdate({ skipLocked: true }))), 'free again once it committed');
  });

  it('lockNamed: transactions taking the same name run one after the other; another name does not wait', async () => {
    const sql = store().sql;
    const order: string[] = [];
    const first = holdOpen(sql, (tx) => tx.lockNamed('seam test'), async () => order.push('first done'));
    await first.taken;
    await sql.transaction(async (tx) => {
      await tx.lockNamed('another name');
      await tx.lockNamed(7_411_029_199);
    });
    let pid: number | null = null;
    const second = sql.transaction(async (tx) => {
      pid = await backendOf(tx);
      await tx.lockNamed('seam test');
      order.push('second has it');
    });
    await waitUntil(() => waitsForLock(sql, pid), 'the second transaction waits for the name');
    assert.deepEqual(order, []);
    first.release();
    await Promise.all([first.done, second]);
    assert.deepEqual(order, ['first done', 'second has it']);
  });
});
