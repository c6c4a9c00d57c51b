import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { walCheckpoints } from '../metrics.js';

/**
 * Checkpoints of a served SQLite database, off the event loop.
 *
 * In WAL mode every commit appends pages to the log, and a checkpoint copies them back into the database file,
 * with an fsync of each. SQLite runs one automatically inside the commit that takes the log past 1,000 pages:
 * on the one connection of a server, that stalls every request for the copy and both fsyncs (measured ~14 ms
 * per 1,000 pages here, the p99 of a create under load). So the server's connection turns that off, and a worker
 * thread with its own connection (THREAD below) checkpoints instead, every COMMITS_PER_CHECKPOINT
 * commits, and at the latest IDLE_CHECKPOINT_MS after the first write since the last pass.
 *
 * A checkpoint beside a stream of writes never catches up with the last ones, and SQLite starts the log over
 * only when a write begins with every page copied: left alone, the log would grow without end. So once it holds
 * RESTART_AFTER_FRAMES pages, the checkpointer asks the connection to hold new writes (reads go on, and so
 * does the event loop) while it copies the few pages written since its last pass; the next write starts the
 * log over. If the thread fails or stops answering, the connection takes back SQLite's own checkpoints.
 */
export const COMMITS_PER_CHECKPOINT = 100;
export const IDLE_CHECKPOINT_MS = 1000;
/** SQLite's own automatic checkpoint threshold */
export const RESTART_AFTER_FRAMES = 1000;
const ANSWER_TIMEOUT_MS = 10_000;

/**
 * The thread's whole program: its own connection to the database file, which copies the log back into the
 * database each time it is asked and answers with SQLite's figures. Plain CommonJS handed to the Worker as
 * text, so it runs the same from the build and from the sources (a worker's entry module does not go through
 * tsx). NORMAL in WAL mode syncs the log before a checkpoint and the database file after it, as SQLite's own
 * automatic checkpoints do; PASSIVE copies what it can without waiting for, or blocking, the server's reads
 * and writes; the copy reads the log, so it needs next to no page cache.
 */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('synchronous = NORMAL');
db.pragma('cache_size = -64');
db.pragma('wal_autocheckpoint = 0');
parentPort.on('message', (request) => {
  if (request === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  parentPort.postMessage(db.pragma('wal_checkpoint(PASSIVE)')[0]);
});
`;

/** What SQLite's `wal_checkpoint` answers: pages in the log, and how many of them are copied. */
export interface CheckpointResult { busy: number; log: number; checkpointed: number }

/** What the checkpointer needs of the connection it serves (SqliteSql). */
export interface CheckpointedConnection {
  /** runs `work` while no write can start; reads go on */
  holdWrites<T>(work: () => Promise<T>): Promise<T>;
  /** the thread is gone: the connection checkpoints by itself again, as SQLite does by default */
  checkpointsFailed(error: unknown): void;
}

export class WalCheckpoints {
  /** the checkpointing thread (public so that a test can end it as a crash would) */
  readonly worker: Worker;
  private commits = 0;
  private running: Promise<void> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private answer: { resolve(result: CheckpointResult): void; reject(error: Error): void } | null = null;
  private failed = false;
  private closing = false;

  constructor(path: string, private readonly connection: CheckpointedConnection) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(THREAD, {
      eval: true,
      workerData: { path, driver },
      // it allocates next to nothing: a small heap keeps the thread's memory small
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
    });
    this.worker.unref();
    this.worker.on('message', (result: CheckpointResult) => {
      const waiting = this.answer;
      this.answer = null;
      waiting?.resolve(result);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`the WAL checkpoint thread exited (code ${code})`));
    });
  }

  /** Called after each commit of the connection. */
  committed(): void {
    if (this.failed || this.closing) return;
    this.commits++;
    if (this.running) return;
    if (this.commits >= COMMITS_PER_CHECKPOINT) this.start();
    else this.idleTimer ??= setTimeout(() => this.start(), IDLE_CHECKPOINT_MS).unref();
  }

  private start(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.commits = 0;
    this.running = this.pass().finally(() => {
      this.running = null;
      if (this.commits > 0) this.committed();
    });
  }

  private async pass(): Promise<void> {
    try {
      const result = await this.checkpoint();
      walCheckpoints.inc({ kind: 'pass' });
      if (result.log >= RESTART_AFTER_FRAMES) {
        await this.connection.holdWrites(() => this.checkpoint());
        walCheckpoints.inc({ kind: 'restart' });
      }
    } catch (error) {
      this.fail(error);
    }
  }

  private checkpoint(): Promise<CheckpointResult> {
    if (this.failed) return Promise.reject(new Error('the WAL checkpoint thread is gone'));
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`the WAL checkpoint thread did not answer in ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS);
      this.answer = {
        resolve: (result) => (clearTimeout(timeout), resolve(result)),
        reject: (error) => (clearTimeout(timeout), reject(error)),
      };
      this.worker.postMessage('checkpoint');
    });
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.answer?.reject(error instanceof Error ? error : new Error(String(error)));
    this.answer = null;
    void this.worker.terminate();
    this.connection.checkpointsFailed(error);
  }

  /** Waits for a checkpoint under way, then closes the thread's connection and ends it. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    await this.running;
    if (this.failed) return;
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.ref(); // unreferenced, it would let the process end before it has closed its connection
    this.worker.postMessage('close');
    await exited;
  }
}
