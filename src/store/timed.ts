import { performance } from 'node:perf_hooks';
import { databaseMetrics, type Series } from '../metrics.js';
import type { BatchOptions, Param, Sql, Statement } from './sql.js';

/**
 * The store's Sql with its time counted (GET /metrics, `uprof_db_duration_seconds`): a read is one query, a
 * write one batch (on SQLite until its group commit is done), a transaction from begin to commit (the
 * statements inside it are its own). Two clock reads and a few additions a call.
 */
export function timed(sql: Sql): Sql {
  const series = databaseMetrics(sql.engine);
  // the clock is read before the call: SQLite does its work synchronously inside it
  const timedFrom = async <T>(into: Series, started: number, work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } finally {
      into.observe((performance.now() - started) / 1000);
    }
  };
  return {
    engine: sql.engine,
    all: <Row>(text: string, params?: readonly Param[]) => timedFrom(series.read, performance.now(), sql.all<Row>(text, params)),
    get: <Row>(text: string, params?: readonly Param[]) => timedFrom(series.read, performance.now(), sql.get<Row>(text, params)),
    rows: (text: string, params?: readonly Param[]) => timedFrom(series.read, performance.now(), sql.rows(text, params)),
    values: (text: string, params?: readonly Param[]) => timedFrom(series.read, performance.now(), sql.values(text, params)),
    run: (text: string, params?: readonly Param[]) => timedFrom(series.write, performance.now(), sql.run(text, params)),
    batch: (statements: readonly Statement[], options?: BatchOptions) => timedFrom(series.write, performance.now(), sql.batch(statements, options)),
    transaction: <T>(work: (tx: Sql) => Promise<T>) => timedFrom(series.transaction, performance.now(), sql.transaction(work)),
    forUpdate: (options) => sql.forUpdate(options),
    forShare: () => sql.forShare(),
    lockNamed: (name) => sql.lockNamed(name),
    close: () => sql.close(),
  };
}
