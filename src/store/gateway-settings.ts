import type { BudgetPeriod } from '../gateway/usage.js';
import type { Sql } from './sql.js';

/** An organization's gateway settings (the operator's). */
export interface GatewaySettings {
  /** every inference request must name a user profile */
  requireAttribution: boolean;
}

export const DEFAULT_GATEWAY_SETTINGS: Readonly<GatewaySettings> = Object.freeze({ requireAttribution: false });

/** A profile's token budget (the operator's): tokens per UTC day or month, and the fraction that fires the event. */
export interface Budget {
  period: BudgetPeriod;
  tokens: number;
  /** 0 < notifyAt ≤ 1: `user_profile.usage_threshold_reached` fires once per window when usage reaches it; null: never */
  notifyAt: number | null;
  updatedAt: number;
}

/** Gateway settings per organization and budgets per profile; every method takes the organization. */
export class GatewaySettingsRepository {
  constructor(private readonly sql: Sql) {}

  async settings(organizationId: string): Promise<GatewaySettings> {
    const row = await this.sql.get<{ require_attribution: number }>(
      'SELECT require_attribution FROM gateway_settings WHERE organization_id = ?', [organizationId]);
    return row ? { requireAttribution: row.require_attribution === 1 } : { ...DEFAULT_GATEWAY_SETTINGS };
  }

  async setSettings(organizationId: string, settings: GatewaySettings, now: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO gateway_settings (organization_id, require_attribution, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (organization_id) DO UPDATE SET require_attribution = excluded.require_attribution, updated_at = excluded.updated_at`,
      [organizationId, settings.requireAttribution ? 1 : 0, now]);
  }

  async budget(organizationId: string, profileId: string): Promise<Budget | null> {
    const row = await this.sql.get<{ period: BudgetPeriod; tokens: number; notify_at: number | null; updated_at: number }>(
      'SELECT period, tokens, notify_at, updated_at FROM usage_budgets WHERE organization_id = ? AND profile_id = ?',
      [organizationId, profileId]);
    return row ? { period: row.period, tokens: Number(row.tokens), notifyAt: row.notify_at === null ? null : Number(row.notify_at), updatedAt: row.updated_at } : null;
  }

  async setBudget(organizationId: string, profileId: string, budget: Budget): Promise<void> {
    await this.sql.run(
      `INSERT INTO usage_budgets (organization_id, profile_id, period, tokens, notify_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (organization_id, profile_id) DO UPDATE SET
         period = excluded.period, tokens = excluded.tokens, notify_at = excluded.notify_at, updated_at = excluded.updated_at`,
      [organizationId, profileId, budget.period, budget.tokens, budget.notifyAt, budget.updatedAt]);
  }

  /** false when the profile had no budget */
  async deleteBudget(organizationId: string, profileId: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM usage_budgets WHERE organization_id = ? AND profile_id = ?', [organizationId, profileId])) === 1;
  }
}
