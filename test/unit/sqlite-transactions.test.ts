/**
 * SQLite's one connection under concurrent transactions, group-committed writes and reads started in the
 * same tick, in random orders with random awaits inside the transactions: every acknowledged change is
 * there, every failed one has left nothing, no transaction loses another's update, and a read issued while
 * a transaction is open never sees what that transaction had not committed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteSql, type Sql } from '../../src/store/sql.ts';

const ROUNDS = 400;
const SEED = 20_261_021;

/** mulberry32: a small seeded generator, so a failing round can be replayed */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), chance: (p: number) => next() < p };
}

/** a random way of giving the event loop away inside a transaction, or none */
function pause(r: ReturnType<typeof random>): Promise<void> {
  switch (r.int(4)) {
    case 0: return Promise.resolve();
    case 1: return new Promise((resolve) => queueMicrotask(resolve));
    case 2: return new Promise((resolve) => setImmediate(resolve));
    default: return new Promise((resolve) => setTimeout(resolve, 0));
  }
}

type Failure = 'none' | 'throws' | 'constraint';
interface Planned {
  kind: 'transaction' | 'batch';
  keys: string[];
  failure: Failure;
  /** transactions only: they add one to the counter (read, await, write) */
  increments: boolean;
}

const INSERT = 'INSERT INTO t (k, v) VALUES (?, ?)';

async function round(sql: SqliteSql, seed: number): Promise<void> {
  const r = random(seed);
  const counter = () => (sql.db.prepare('SELECT n FROM c WHERE id = 1').get() as { n: number }).n;
  const counterBefore = counter();
  const count = 4 + r.int(12);
  const plans: Planned[] = Array.from({ length: count }, (_, i) => {
    const kind = r.chance(0.6) ? 'transaction' : 'batch';
    const keys = Array.from({ length: 1 + r.int(3) }, (_, j) => `${seed}-${i}-${j}`);
    const failure: Failure = r.chance(0.3) ? (kind === 'transaction' && r.chance(0.5) ? 'throws' : 'constraint') : 'none';
    return { kind, keys, failure, increments: kind === 'transaction' };
  });
  /** reads issued from outside while a transaction was open, after it wrote its first row */
  const probes: { plan: Planned; read: Promise<unknown> }[] = [];

  const start = (plan: Planned): Promise<unknown> => {
    if (plan.kind === 'batch') {
      const statements = plan.keys.map((k) => ({ sql: INSERT, params: [k, 'v'] }));
      if (plan.failure === 'constraint') statements.push({ sql: INSERT, params: [`${plan.keys[0]}-null`, null as unknown as string] });
      return r.chance(0.5) || statements.length > 1 ? sql.batch(statements) : sql.run(statements[0].sql, statements[0].params);
    }
    return sql.transaction(async (tx: Sql) => {
      await pause(r);
      for (const [i, k] of plan.keys.entries()) {
        await tx.run(INSERT, [k, 'v']);
        if (i === 0 && r.chance(0.5)) probes.push({ plan, read: sql.get('SELECT v FROM t WHERE k = ?', [k]) });
        await pause(r);
      }
      const before = await tx.get<{ n: number }>('SELECT n FROM c WHERE id = 1');
      await pause(r);
      await tx.run('UPDATE c SET n = ? WHERE id = 1', [before!.n + 1]);
      await pause(r);
      if (plan.failure === 'throws') throw new Error('work failed');
      if (plan.failure === 'constraint') await tx.run(INSERT, [`${plan.keys[0]}-null`, null]);
      return 'done';
    });
  };

  // all started in one tick, in a random order (some starts also deferred by a microtask)
  const order = plans.map((_, i) => i).sort(() => r.next() - 0.5);
  const outcomes: Promise<unknown>[] = new Array(count);
  for (const i of order) outcomes[i] = r.chance(0.2) ? Promise.resolve().then(() => start(plans[i])) : start(plans[i]);
  const settled = await Promise.allSettled(outcomes);

  settled.forEach((outcome, i) => {
    const plan = plans[i];
    const expected = plan.failure === 'none' ? 'fulfilled' : 'rejected';
    assert.equal(outcome.status, expected, `seed ${seed}: ${plan.kind} ${i} (${plan.failure}) ${outcome.status === 'rejected' ? String(outcome.reason) : ''}`);
  });
  const present = new Set((sql.db.prepare('SELECT k FROM t WHERE k LIKE ?').pluck().all(`${seed}-%`) as string[]));
  for (const plan of plans) {
    for (const k of plan.keys) {
      assert.equal(present.has(k), plan.failure === 'none', `seed ${seed}: row ${k} of a ${plan.failure === 'none' ? 'committed' : 'failed'} ${plan.kind}`);
    }
  }
  assert.equal(present.size, plans.filter((p) => p.failure === 'none').reduce((n, p) => n + p.keys.length, 0), `seed ${seed}: no stray rows`);
  for (const probe of probes) {
    const seen = (await probe.read) !== undefined;
    assert.equal(seen, probe.plan.failure === 'none', `seed ${seed}: a read during a ${probe.plan.failure === 'none' ? 'committed' : 'failed'} transaction saw ${seen ? 'its row' : 'nothing'}`);
  }
  // each committed transaction added one to what it read, so none may have read while another was open
  const committedTransactions = plans.filter((p) => p.increments && p.failure === 'none').length;
  assert.equal(counter(), counterBefore + committedTransactions, `seed ${seed}: no lost update, no update of a failed transaction`);
  assert.equal(sql.db.inTransaction, false, `seed ${seed}: the connection is left outside any transaction`);
}

describe('SQLite transactions and group commit started in one tick', () => {
  for (const synchronous of ['NORMAL', 'FULL'] as const) {
    it(`${ROUNDS} random rounds (${synchronous}): acknowledged changes all there, failed ones absent, no lost update, no dirty read`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'uprof-tx-'));
      const sql = SqliteSql.open(join(dir, 'race.db'), { synchronous });
      try {
        sql.db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL); CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO c VALUES (1, 0)');
        for (let i = 0; i < ROUNDS; i++) await round(sql, SEED + i);
      } finally {
        await sql.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
