import { randomBase62 } from '../ids.js';
import type { UsageFlush, UsageRecord, UsageRepository } from '../store/usage.js';
import { minuteOf, totalTokens, type Tokens } from './usage.js';

/** Past this many distinct counters in memory, a flush starts at once rather than at the next tick. */
const EAGER_FLUSH_RECORDS = 10_000;
const LEDGER_RETENTION_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

export interface MeterLog {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Counts usage off the request path. Each answered or refused request adds to an in-memory counter (per
 * organization, profile, API key, UTC minute and kind); every `flushMs` the counters are handed to the database
 * as one flush, in one transaction, and forgotten. Hence:
 *
 * - durable within `flushMs`: a crash loses at most the counts of the last flush interval (and of a flush in
 *   progress), never more;
 * - never double-counted: a flush and its ledger row (`usage_flushes`, keyed by this process's prefix and a
 *   sequence number) commit together, and a flush whose outcome is unknown is retried under the same id, so it
 *   applies at most once. A flush is acknowledged exactly when its ledger row commits, so the counters always
 *   equal the sum of the acknowledged flushes; nothing is replayed after a restart.
 */
export class Meter {
  /** this process's flush ids start with it */
  readonly prefix = `ufl_${Date.now().toString(36)}_${randomBase62(8)}`;
  private pending = new Map<string, UsageRecord>();
  /** a flush that failed in a way that hides whether it committed: retried, under its id, before anything else */
  private inDoubt: UsageFlush | null = null;
  private sequence = 0;
  private flushing: Promise<void> | null = null;
  /** how many flushes have taken counters out of memory: a database read made while this did not move saw them all or none */
  flushStarts = 0;
  private timer: NodeJS.Timeout | null = null;
  private prunedAt = 0;

  constructor(
    private readonly usage: UsageRepository,
    private readonly flushMs: number,
    /** process time, for the ledger only; every count's minute comes from its organization's clock */
    private readonly now: () => number,
    private readonly log: MeterLog,
    /** runs after each applied flush (budget thresholds), off the request path */
    private readonly afterFlush: (records: readonly UsageRecord[]) => Promise<void> = async () => {},
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  /** Stops the timer and flushes what is left (graceful shutdown). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
    if (this.pending.size > 0 || this.inDoubt) await this.flush();
  }

  /** Adds to the counters; `at` is the organization's time of the request. */
  record(organizationId: string, profileId: string, keyId: string, kind: string, at: number, requests: number, tokens: Tokens): void {
    const minute = minuteOf(at);
    const key = `${organizationId}\u0000${profileId}\u0000${minute}\u0000${keyId}\u0000${kind}`;
    const current = this.pending.get(key);
    if (current) {
      current.requests += requests;
      current.tokens.input += tokens.input;
      current.tokens.output += tokens.output;
      current.tokens.cacheCreation += tokens.cacheCreation;
      current.tokens.cacheRead += tokens.cacheRead;
      return;
    }
    this.pending.set(key, { organizationId, profileId, minute, keyId, kind, requests, tokens: { ...tokens } });
    if (this.pending.size >= EAGER_FLUSH_RECORDS) void this.flush();
  }

  /** Resolves when no flush is in progress (its counters are then either in memory or in the database, not between). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => {});
  }

  /** Tokens a profile used from `from` on that this process has counted but not yet written (read while `idle`). */
  unflushedTokens(organizationId: string, profileId: string, from: number): number {
    let tokens = 0;
    const add = (r: UsageRecord) => {
      if (r.organizationId === organizationId && r.profileId === profileId && r.minute >= from) tokens += totalTokens(r.tokens);
    };
    for (const r of this.pending.values()) add(r);
    this.inDoubt?.records.forEach(add);
    return tokens;
  }

  /** Writes the counters now (one flush at a time; a call during a flush waits for it and then flushes again). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.flushOnce().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    if (this.inDoubt && !(await this.apply(this.inDoubt))) return;
    this.inDoubt = null;
    if (this.pending.size === 0) return;
    const flush: UsageFlush = {
      id: `${this.prefix}_${String(++this.sequence).padStart(10, '0')}`,
      at: this.now(),
      records: [...this.pending.values()],
    };
    this.pending = new Map();
    this.flushStarts++;
    if (!(await this.apply(flush))) this.inDoubt = flush;
    await this.prune();
  }

  /** true once the flush is in the database (applied now, or found applied before) */
  private async apply(flush: UsageFlush): Promise<boolean> {
    try {
      const outcome = await this.usage.applyFlush(flush);
      this.log.debug({ flush: flush.id, records: flush.records.length, outcome }, 'usage flushed');
    } catch (error) {
      this.log.warn({ err: error, flush: flush.id, records: flush.records.length }, 'usage flush failed; it will be retried');
      return false;
    }
    try {
      await this.afterFlush(flush.records);
    } catch (error) {
      this.log.warn({ err: error, flush: flush.id }, 'usage threshold check failed');
    }
    return true;
  }

  private async prune(): Promise<void> {
    const now = this.now();
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    await this.usage.pruneFlushes(now - LEDGER_RETENTION_MS).catch(() => {});
  }
}
