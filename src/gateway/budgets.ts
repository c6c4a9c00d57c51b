import type { Budget, GatewaySettingsRepository } from '../store/gateway-settings.js';
import type { UsageRecord, UsageRepository } from '../store/usage.js';
import { budgetExceeded } from './attribution.js';
import type { Meter } from './meter.js';
import { budgetWindow } from './usage.js';
import type { OrganizationClock } from './index.js';

/** A value kept for a while: how a process avoids a database read per request for settings that rarely change. */
export class Kept<T> {
  private readonly entries = new Map<string, { value: T; until: number }>();
  constructor(private readonly ttlMs: number, private readonly now: () => number, private readonly max = 100_000) {}

  async get(key: string, load: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(key);
    const now = this.now();
    if (entry && entry.until > now) return entry.value;
    const value = await load();
    if (this.ttlMs > 0) {
      if (this.entries.size >= this.max) this.entries.clear();
      this.entries.set(key, { value, until: now + this.ttlMs });
    }
    return value;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}

/**
 * Per-profile token budgets (an extension: the operator sets them). A request of a profile that has used its
 * budget in the current UTC day or month is refused with 429 and `retry-after` at the window's reset; after each
 * flush, a profile whose flushed usage reached the budget's `notify_at` fraction gets its
 * `user_profile.usage_threshold_reached` event, once per window.
 *
 * What a process compares with the budget is the flushed usage (read at most once per flush interval) plus what
 * it has counted and not yet written; other processes' unwritten counts show after their next flush. So a
 * budget holds within about one flush interval of traffic per process.
 */
export class Budgets {
  private readonly budgets: Kept<Budget | null>;
  /** flushed tokens per profile and window, as read while this process's meter was idle, and when */
  private readonly flushed = new Map<string, { tokens: number; flushStarts: number; readAt: number }>();

  constructor(
    private readonly settings: GatewaySettingsRepository,
    private readonly usage: UsageRepository,
    private readonly meter: Meter,
    private readonly clock: OrganizationClock,
    private readonly processNow: () => number,
    private readonly options: { budgetTtlMs: number; usageTtlMs: number },
  ) {
    this.budgets = new Kept(options.budgetTtlMs, processNow);
  }

  /**
   * What a profile has used since `from`: the database's count plus this process's counters not yet written. The
   * database is read while no flush of this process is under way, and read again if one started meanwhile, so this
   * process's own usage is counted exactly once; a read is reused until this process flushes again or `usageTtlMs`
   * passes (which is how soon other processes' flushes show).
   */
  private async used(organizationId: string, profileId: string, from: number): Promise<number> {
    const key = `${organizationId}\u0000${profileId}\u0000${from}`;
    let kept = this.flushed.get(key);
    const fresh = (k: typeof kept): k is NonNullable<typeof kept> =>
      k !== undefined && k.flushStarts === this.meter.flushStarts && this.processNow() - k.readAt < this.options.usageTtlMs;
    // a read that a flush overtook is read again; after a few tries (a database slower than the flush interval) it stands
    for (let attempt = 0; !fresh(kept) && attempt < 3; attempt++) {
      await this.meter.idle();
      const flushStarts = this.meter.flushStarts;
      const readAt = this.processNow();
      const tokens = await this.usage.tokensSince(organizationId, profileId, from);
      if (this.flushed.size >= 100_000) this.flushed.clear();
      kept = { tokens, flushStarts, readAt };
      this.flushed.set(key, kept);
      if (this.meter.flushStarts === flushStarts) break;
    }
    return kept!.tokens + this.meter.unflushedTokens(organizationId, profileId, from);
  }

  private budgetOf(organizationId: string, profileId: string): Promise<Budget | null> {
    return this.budgets.get(`${organizationId}\u0000${profileId}`, () => this.settings.budget(organizationId, profileId));
  }

  /** The budget changed on this process: read it afresh (other processes within their key cache TTL). */
  forget(organizationId: string, profileId: string): void {
    this.budgets.forget(`${organizationId}\u0000${profileId}`);
  }

  /** Throws the 429 when the profile has used its budget. */
  async check(organizationId: string, profileId: string): Promise<void> {
    const budget = await this.budgetOf(organizationId, profileId);
    if (!budget) return;
    const now = this.clock(organizationId);
    const window = budgetWindow(budget.period, now);
    const used = await this.used(organizationId, profileId, window.start);
    if (used >= budget.tokens) throw budgetExceeded(profileId, budget, used, window.end, now);
  }

  /** After a flush: the threshold events of the profiles it touched. */
  async afterFlush(records: readonly UsageRecord[]): Promise<void> {
    const touched = new Map<string, { organizationId: string; profileId: string }>();
    for (const r of records) {
      if (r.profileId !== '' && r.tokens.input + r.tokens.output + r.tokens.cacheCreation + r.tokens.cacheRead > 0) {
        touched.set(`${r.organizationId}\u0000${r.profileId}`, { organizationId: r.organizationId, profileId: r.profileId });
      }
    }
    for (const { organizationId, profileId } of touched.values()) {
      const budget = await this.budgetOf(organizationId, profileId);
      if (!budget || budget.notifyAt === null) continue;
      const now = this.clock(organizationId);
      const window = budgetWindow(budget.period, now);
      const used = await this.usage.tokensSince(organizationId, profileId, window.start);
      if (used < budget.notifyAt * budget.tokens) continue;
      await this.usage.noticeThreshold(organizationId, profileId, window.start, now, {
        type: 'user_profile.usage_threshold_reached', id: profileId, organization_id: organizationId,
      });
    }
  }
}
