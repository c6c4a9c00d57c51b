import { closeSync, fsync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import type pg from 'pg';
import { groupCommitSize } from '../metrics.js';
import { WalCheckpoints, type CheckpointedConnection } from './wal-checkpoints.js';

export type Engine = 'sqlite' | 'postgres';
export type Param = string | number | null;
export interface Statement {
  sql: string;
  params: readonly Param[];
}

/**
 * The one seam between the repositories and a database engine. SQL is written once, portable between
 * SQLite and PostgreSQL, with `?` placeholders; each engine adapts it (PostgreSQL gets `$1…`).
 */
export interface Sql {
  readonly engine: Engine;
  all<Row>(sql: string, params?: readonly Param[]): Promise<Row[]>;
  get<Row>(sql: string, params?: readonly Param[]): Promise<Row | undefined>;
  /** rows as arrays of column values, in SELECT order: much cheaper than objects for wide rows */
  rows(sql: string, params?: readonly Param[]): Promise<unknown[][]>;
  /** the first column of every row: no per-row array at all (one-column key scans) */
  values(sql: string, params?: readonly Param[]): Promise<unknown[]>;
  /** runs a statement; resolves to the number of rows it changed */
  run(sql: string, params?: readonly Param[]): Promise<number>;
  /** runs statements atomically (all or none); resolves to the rows each changed */
  batch(statements: readonly Statement[], options?: BatchOptions): Promise<number[]>;
  /** runs `work` in one transaction, serialised with every other transaction that touches the same rows */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * The clause that ends a SELECT inside a transaction to lock the rows it reads until the transaction ends:
   * ` FOR UPDATE` on PostgreSQL (` FOR UPDATE OF t SKIP LOCKED` with those options: rows another transaction
   * holds are left out), nothing on SQLite, whose write transaction holds the whole database already.
   */
  forUpdate(options?: RowLockOptions): string;
  /** As `forUpdate`, a shared lock: the rows cannot change or go until the transaction ends, others may read them. */
  forShare(): string;
  /**
   * Inside a transaction, waits for and then holds until it ends the lock called `name` (a text, or a number
   * as PostgreSQL's advisory lock key): transactions that take the same lock run one after the other, over
   * every process on the database. Nothing on SQLite, whose write transaction is exclusive already.
   */
  lockNamed(name: string | number): Promise<void>;
  close(): Promise<void>;
}

export interface BatchOptions {
  /**
   * No statement of the batch reads a row another of them writes (each INSERT, UPDATE or DELETE would change the
   * same rows run in any order, or all from one snapshot). PostgreSQL then runs the batch as one statement, its
   * writes as data-modifying CTEs: one round trip instead of BEGIN, each statement, COMMIT. SQLite, whose group
   * commit has no round trips, runs it as any batch.
   */
  independent?: boolean;
}

export interface RowLockOptions {
  /** lock only the rows of this table (alias) of a join */
  of?: string;
  /** leave out the rows another transaction has locked instead of waiting for them */
  skipLocked?: boolean;
}

/** Row locks as each engine takes them (see Sql.forUpdate). */
function rowLocks(engine: Engine): Pick<Sql, 'forUpdate' | 'forShare'> {
  if (engine === 'sqlite') return { forUpdate: () => '', forShare: () => '' };
  return {
    forUpdate: (options = {}) => ` FOR UPDATE${options.of ? ` OF ${options.of}` : ''}${options.skipLocked ? ' SKIP LOCKED' : ''}`,
    forShare: () => ' FOR SHARE',
  };
}

/** Sql.lockNamed on PostgreSQL, through `run` (a text names its lock by its hash). */
const advisoryLock = (run: Sql['run']) => async (name: string | number): Promise<void> => {
  if (typeof name === 'number') await run(`SELECT pg_advisory_xact_lock(${Math.trunc(name)})`);
  else await run('SELECT pg_advisory_xact_lock(hashtext(?))', [name]);
};

// ---------------------------------------------------------------------------------------------- SQLite

const PAGE_CACHE_KIB = 4096;

/**
 * better-sqlite3 is synchronous and holds one connection, so a transaction that awaits between its
 * statements must keep every other statement out until it ends: an in-process lock does that (see `take`).
 * Statements are prepared once and reused (the hot path is a point select).
 */
export class SqliteSql implements Sql, CheckpointedConnection {
  readonly engine = 'sqlite' as const;
  readonly forUpdate = rowLocks('sqlite').forUpdate;
  readonly forShare = rowLocks('sqlite').forShare;
  readonly lockNamed = async (_name: string | number): Promise<void> => {};
  /**
   * The connection's owner: a transaction (for its whole life, awaits included), a group commit, or a
   * statement that had to queue. Ownership is taken synchronously when free and handed over directly to the
   * next waiter in FIFO order, so nothing can slip in between a release and the next owner's start.
   */
  private held = false;
  /** held by `holdWrites`: no transaction is open, so reads may run meanwhile */
  private readsPass = false;
  private readonly waiters: (() => void)[] = [];
  private queue: { statements: readonly Statement[]; resolve(changes: number[]): void; reject(error: unknown): void }[] = [];
  private readonly inside: Sql;

  /** FULL: a write is acknowledged only once the WAL holding it is fsynced (see `durable`) */
  private readonly syncOnCommit: boolean;
  private walFd: number | null = null;
  private syncWaiters: { resolve(): void; reject(error: unknown): void }[] = [];
  private syncing = false;

  /** the thread that checkpoints the WAL off the event loop (wal-checkpoints.ts); null: SQLite's own checkpoints */
  readonly checkpoints: WalCheckpoints | null = null;

  constructor(
    readonly db: Database.Database,
    options: { syncOnCommit: boolean; backgroundCheckpoints?: boolean } = { syncOnCommit: false },
  ) {
    this.syncOnCommit = options.syncOnCommit;
    if (options.backgroundCheckpoints && db.name !== ':memory:') {
      db.pragma('wal_autocheckpoint = 0');
      this.checkpoints = new WalCheckpoints(db.name, this);
    }
    const direct = (sqlText: string) => this.prepare(sqlText);
    this.inside = {
      engine: 'sqlite',
      all: async (sqlText, params = []) => direct(sqlText).all(...params) as never,
      get: async (sqlText, params = []) => direct(sqlText).get(...params) as never,
      rows: async (sqlText, params = []) => this.prepare(sqlText, 'raw').all(...params) as unknown[][],
      values: async (sqlText, params = []) => this.prepare(sqlText, 'pluck').all(...params),
      run: async (sqlText, params = []) => direct(sqlText).run(...params).changes,
      batch: async (statements) => statements.map((s) => direct(s.sql).run(...s.params).changes),
      transaction: () => Promise.reject(new Error('nested transactions are not supported')),
      ...rowLocks('sqlite'),
      lockNamed: this.lockNamed,
      close: () => Promise.reject(new Error('cannot close inside a transaction')),
    };
  }

  /**
   * WAL mode. SQLite itself runs with `synchronous = NORMAL` (a commit writes the WAL without fsync), and
   * for FULL durability we fsync the WAL ourselves on libuv's thread pool after each commit and answer the
   * writes only then. The event loop keeps serving while the disk flushes, and commits that land during
   * one fsync share the next: group commit. On an OS crash, SQLite's WAL checksums discard any torn tail,
   * which holds only writes that were never acknowledged.
   */
  static open(path: string, options: { synchronous: 'FULL' | 'NORMAL'; backgroundCheckpoints?: boolean }): SqliteSql {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    // SQLite's own page cache (better-sqlite3 sets 16 MB). Profiles are read from ProfileCache and the OS
    // caches the file; a stream of creates otherwise fills all 16 MB with pages it wrote once and never reads
    // again (measured: -16 MB of peak RSS under the create benchmark, and no slower).
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    return new SqliteSql(db, {
      syncOnCommit: options.synchronous === 'FULL' && path !== ':memory:',
      backgroundCheckpoints: options.backgroundCheckpoints,
    });
  }

  async holdWrites<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.take();
    if (turn) await turn;
    this.readsPass = true;
    try {
      return await work();
    } finally {
      this.readsPass = false;
      this.release();
    }
  }

  checkpointsFailed(error: unknown): void {
    this.db.pragma('wal_autocheckpoint = 1000');
    process.emitWarning(`SQLite checkpoints are back on the event loop: ${error instanceof Error ? error.message : String(error)}`);
  }

  /** Resolves once everything committed before the call is on disk (one fsync serves all waiting callers). */
  private durable(): Promise<void> {
    if (!this.syncOnCommit) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject });
      if (!this.syncing) void this.flushToDisk();
    });
  }

  private async flushToDisk(): Promise<void> {
    this.syncing = true;
    while (this.syncWaiters.length > 0) {
      const waiting = this.syncWaiters;
      this.syncWaiters = [];
      try {
        // the -wal file exists from the first write on and keeps its inode for the connection's life
        this.walFd ??= openSync(`${this.db.name}-wal`, 'r');
        await new Promise<void>((resolve, reject) => fsync(this.walFd!, (error) => (error ? reject(error) : resolve())));
        waiting.forEach((w) => w.resolve());
      } catch (error) {
        waiting.forEach((w) => w.reject(error));
      }
    }
    this.syncing = false;
  }

  /**
   * Statements are prepared once per text and shape: `objects` (rows as objects), `raw` (rows as arrays),
   * `pluck` (the first column only).
   */
  private readonly prepared = {
    objects: new Map<string, Database.Statement>(),
    raw: new Map<string, Database.Statement>(),
    pluck: new Map<string, Database.Statement>(),
  };

  prepare(sqlText: string, shape: keyof SqliteSql['prepared'] = 'objects'): Database.Statement {
    const statements = this.prepared[shape];
    let statement = statements.get(sqlText);
    if (!statement) {
      statement = this.db.prepare(sqlText);
      if (shape === 'raw') statement.raw(true);
      if (shape === 'pluck') statement.pluck(true);
      statements.set(sqlText, statement);
    }
    return statement;
  }

  /**
   * Takes the connection: at once (null, no await) when it is free, else a promise that resolves when the
   * previous owner hands it over. Every `take` is followed by exactly one `release`.
   */
  private take(): Promise<void> | null {
    if (!this.held) {
      this.held = true;
      return null;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Hands the connection to the longest waiter (it stays held), or frees it. */
  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.held = false;
  }

  /** A read while the connection is owned waits its turn, so it never sees a transaction's uncommitted writes. */
  private async queued<T>(read: () => T): Promise<T> {
    await this.take();
    try {
      return read();
    } finally {
      this.release();
    }
  }

  // A read runs at once when the connection is free: it is synchronous, so nothing can interleave with it.
  async all<Row>(sqlText: string, params: readonly Param[] = []): Promise<Row[]> {
    if (this.held && !this.readsPass) return this.queued(() => this.prepare(sqlText).all(...params) as Row[]);
    return this.prepare(sqlText).all(...params) as Row[];
  }

  async get<Row>(sqlText: string, params: readonly Param[] = []): Promise<Row | undefined> {
    if (this.held && !this.readsPass) return this.queued(() => this.prepare(sqlText).get(...params) as Row | undefined);
    return this.prepare(sqlText).get(...params) as Row | undefined;
  }

  async rows(sqlText: string, params: readonly Param[] = []): Promise<unknown[][]> {
    if (this.held && !this.readsPass) return this.queued(() => this.prepare(sqlText, 'raw').all(...params) as unknown[][]);
    return this.prepare(sqlText, 'raw').all(...params) as unknown[][];
  }

  async values(sqlText: string, params: readonly Param[] = []): Promise<unknown[]> {
    if (this.held && !this.readsPass) return this.queued(() => this.prepare(sqlText, 'pluck').all(...params));
    return this.prepare(sqlText, 'pluck').all(...params);
  }

  async run(sqlText: string, params: readonly Param[] = []): Promise<number> {
    return (await this.batch([{ sql: sqlText, params }]))[0];
  }

  /**
   * Group commit: statements run outside a transaction are queued and committed together one turn of the
   * event loop later, one commit (and under FULL one fsync) for the batch. Waiting that one more turn lets
   * the requests that arrived meanwhile join the batch: under load, batches grow and commits (each writes
   * its pages to the WAL) get fewer, for the latency of one turn. Each write resolves only after its batch
   * has committed, so an acknowledged write is a durable write.
   */
  batch(statements: readonly Statement[]): Promise<number[]> {
    for (const statement of statements) this.prepare(statement.sql); // a syntax error throws here, alone
    return new Promise((resolve, reject) => {
      this.queue.push({ statements, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => setImmediate(() => void this.flush()));
    });
  }

  private readonly begin = () => this.prepare('BEGIN IMMEDIATE').run();
  private readonly commit = () => this.prepare('COMMIT').run();

  private runWrite(write: { statements: readonly Statement[] }): number[] {
    return write.statements.map((s) => this.prepare(s.sql).run(...s.params).changes);
  }

  /**
   * Commits the queued writes in one transaction. Writes fail rarely (a constraint), and one write's
   * failure must not take the others down: then the batch is rolled back and each write is committed
   * on its own, all or nothing, so it stands or fails alone.
   */
  private async flush(): Promise<void> {
    if (this.queue.length === 0) return; // close() committed them already
    const turn = this.take();
    if (turn) await turn; // a transaction is open: the writes queued meanwhile join this batch
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return this.release(); // another flush took them while this one waited
    groupCommitSize.observe(batch.length);
    let outcomes: ({ changes: number[] } | { error: unknown })[];
    try {
      outcomes = this.commitEach(batch);
      this.checkpoints?.committed();
    } catch (error) {
      for (const write of batch) write.reject(error);
      return;
    } finally {
      this.release();
    }
    try {
      await this.durable();
    } catch (error) {
      for (const write of batch) write.reject(error);
      return;
    }
    batch.forEach((write, i) => {
      const outcome = outcomes[i];
      if ('error' in outcome) write.reject(outcome.error);
      else write.resolve(outcome.changes);
    });
  }

  /** The synchronous part of `flush`, run while it owns the connection. Throws when no BEGIN succeeds. */
  private commitEach(batch: readonly { statements: readonly Statement[] }[]): ({ changes: number[] } | { error: unknown })[] {
    this.begin();
    try {
      const outcomes = batch.map((write) => ({ changes: this.runWrite(write) }));
      this.commit();
      return outcomes;
    } catch {
      this.db.exec('ROLLBACK');
    }
    return batch.map((write) => {
      this.begin();
      try {
        const changes = this.runWrite(write);
        this.commit();
        return { changes };
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        return { error };
      }
    });
  }

  async transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    const turn = this.take();
    if (turn) await turn;
    let result: T;
    let begun = false;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      begun = true;
      result = await work(this.inside);
      this.db.exec('COMMIT');
      this.checkpoints?.committed();
    } catch (error) {
      // only ever our own transaction: no one else runs a statement while we own the connection
      if (begun && this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    } finally {
      this.release();
    }
    // others may go on while the disk flushes; this caller is answered once its commit is durable
    await this.durable();
    return result;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.checkpoints?.close();
    await this.take();
    try {
      await this.durable();
      if (this.walFd !== null) closeSync(this.walFd);
      this.db.close();
    } finally {
      // whatever still waits now meets a closed connection, and says so
      this.release();
    }
  }
}

// ------------------------------------------------------------------------------------------ PostgreSQL

/** pg, loaded by the first PostgreSQL store only: a SQLite server does not carry it (see RedisBuckets for the figure). */
const loadPg = () => createRequire(import.meta.url)('pg') as typeof pg;

const INT8_OID = 20;
/** BIGINT columns hold epoch milliseconds, well inside Number's exact range. */
const typesOf = (driver: typeof pg) => ({
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID ? (value: string) => Number(value) : driver.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
});

const prepared = new Map<string, { name: string; text: string }>();
/**
 * `?` → `$1, $2, …` (our SQL never has a `?` inside a literal), and a statement name: pg prepares a named
 * statement once per connection and then only binds and executes it, skipping parse and plan.
 */
function toPostgres(sqlText: string): { name: string; text: string } {
  let statement = prepared.get(sqlText);
  if (statement === undefined) {
    let n = 0;
    statement = { name: `uprof_${prepared.size}`, text: sqlText.replace(/\?/g, () => `$${++n}`) };
    prepared.set(sqlText, statement);
  }
  return statement;
}

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

const WRITE = /^\s*(INSERT|UPDATE|DELETE)\b/i;
/**
 * Independent writes as one statement (BatchOptions.independent): each a CTE that returns a 1 per row it changed,
 * and a SELECT of their counts. One statement is atomic on its own; a CTE that fails fails them all.
 */
function asOneStatement(statements: readonly Statement[]): Statement {
  return {
    sql: `WITH ${statements.map((s, i) => `w${i} AS (${s.sql} RETURNING 1)`).join(', ')} ` +
      `SELECT ${statements.map((_, i) => `(SELECT count(*) FROM w${i})`).join(', ')}`,
    params: statements.flatMap((s) => s.params),
  };
}

/** `transaction` is null inside a transaction, where statements simply run on its connection. */
function postgresExecutor(client: Queryable, transaction: Sql['transaction'] | null, close: Sql['close']): Sql {
  const query = async (sqlText: string, params: readonly Param[]) => {
    const { name, text } = toPostgres(sqlText);
    return client.query({ name, text, values: params as Param[] });
  };
  const nested = () => Promise.reject(new Error('nested transactions are not supported'));
  const runAll = async (tx: Sql, statements: readonly Statement[]) => {
    const changes: number[] = [];
    for (const s of statements) changes.push(await tx.run(s.sql, s.params));
    return changes;
  };
  const rows = async (sqlText: string, params: readonly Param[] = []): Promise<unknown[][]> => {
    const { name, text } = toPostgres(sqlText);
    return (await client.query({ name, text, values: params as Param[], rowMode: 'array' })).rows;
  };
  const executor: Sql = {
    engine: 'postgres',
    all: async (sqlText, params = []) => (await query(sqlText, params)).rows,
    get: async (sqlText, params = []) => (await query(sqlText, params)).rows[0],
    rows,
    values: async (sqlText, params = []) => (await rows(sqlText, params)).map((row) => row[0]),
    run: async (sqlText, params = []) => (await query(sqlText, params)).rowCount ?? 0,
    // one statement is atomic on its own: no BEGIN and COMMIT round trips around it
    batch: async (statements, options = {}) => {
      if (!transaction || statements.length < 2) return runAll(executor, statements);
      if (options.independent && statements.every((s) => WRITE.test(s.sql))) {
        const one = asOneStatement(statements);
        return (await rows(one.sql, one.params))[0] as number[];
      }
      return transaction((tx) => runAll(tx, statements));
    },
    transaction: transaction ?? nested,
    ...rowLocks('postgres'),
    lockNamed: (name) => advisoryLock(executor.run)(name),
    close,
  };
  return executor;
}

export function openPostgres(connectionString: string, options: { poolSize: number }): Sql {
  const driver = loadPg();
  const pool = new driver.Pool({ connectionString, max: options.poolSize, types: typesOf(driver) });
  // an idle client losing its connection must not crash the process; the next query reconnects
  pool.on('error', () => {});
  const transaction = async <T>(work: (tx: Sql) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(postgresExecutor(client, null, () => Promise.reject(new Error('cannot close inside a transaction'))));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };
  return postgresExecutor(pool, transaction, () => pool.end());
}
