import type { ClockOffsets } from '../clock.js';
import type { ProfileCache } from './profile-cache.js';
import type { Sql } from './sql.js';
import type { Subscriptions } from './subscriptions.js';

/** The statuses a forced fault may answer (decisions §34: the SDKs retry all of them). */
export const FAULT_STATUSES = [429, 500, 503, 529] as const;
export type FaultStatus = (typeof FAULT_STATUSES)[number];
/** A fault armed for every route rather than one. */
export const EVERY_ROUTE = '*';

export interface Fault {
  /** `METHOD /path/{param}`, or `*` */
  route: string;
  status: FaultStatus;
  remaining: number;
  /** seconds, sent as `retry-after` (429 only) */
  retryAfter: number | null;
}

interface FaultRow { route: string; status: FaultStatus; remaining: number; retry_after: number | null }
const toFault = (r: FaultRow): Fault => ({ route: r.route, status: r.status, remaining: Number(r.remaining), retryAfter: r.retry_after });

/** Every table that holds an organization's data besides the organization itself, its workspaces and its keys. */
const ORGANIZATION_DATA = [
  'profile_history', 'user_profiles', 'url_tokens', 'webhook_attempts', 'webhook_deliveries', 'webhook_events',
  'webhook_endpoint_events', 'webhook_endpoints', 'emulator_faults', 'emulator_clocks',
];

/**
 * The emulator's state (UPROF_EMULATOR=1, decisions §38), per organization and in the database so every process
 * agrees: test clock offsets, forced faults, and resetting an organization's data.
 */
export class EmulatorRepository implements ClockOffsets {
  /** `cache` and `subscriptions` only where this process is the database's one writer (see ProfileCache) */
  constructor(
    private readonly sql: Sql,
    private readonly cache: ProfileCache | null = null,
    private readonly subscriptions: Subscriptions | null = null,
  ) {}

  async clockOffset(organizationId: string): Promise<number> {
    const row = await this.sql.get<{ offset_ms: number }>('SELECT offset_ms FROM emulator_clocks WHERE organization_id = ?', [organizationId]);
    return row ? Number(row.offset_ms) : 0;
  }

  async clockOffsets(): Promise<Map<string, number>> {
    const rows = await this.sql.all<{ organization_id: string; offset_ms: number }>('SELECT organization_id, offset_ms FROM emulator_clocks');
    return new Map(rows.map((r) => [r.organization_id, Number(r.offset_ms)]));
  }

  /** Moves an organization's clock forward by `ms` (atomically, whoever else moves it); answers the new offset. */
  async advanceClock(organizationId: string, ms: number): Promise<number> {
    await this.sql.run(
      `INSERT INTO emulator_clocks (organization_id, offset_ms) VALUES (?, ?)
       ON CONFLICT (organization_id) DO UPDATE SET offset_ms = emulator_clocks.offset_ms + excluded.offset_ms`,
      [organizationId, ms]);
    return this.clockOffset(organizationId);
  }

  /** What a request needs to know first, in one read: the organization's clock offset, and whether any fault is armed. */
  async requestState(organizationId: string): Promise<{ offset: number; faultsArmed: boolean }> {
    const row = await this.sql.get<{ offset_ms: number | null; faults: number }>(
      `SELECT (SELECT offset_ms FROM emulator_clocks WHERE organization_id = ?) AS offset_ms,
              (SELECT COUNT(*) FROM emulator_faults WHERE organization_id = ? AND remaining > 0) AS faults`,
      [organizationId, organizationId]);
    return { offset: Number(row?.offset_ms ?? 0), faultsArmed: Number(row?.faults ?? 0) > 0 };
  }

  /** Arms a fault for a route (replacing the one armed there). */
  async armFault(organizationId: string, fault: Fault, now: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO emulator_faults (organization_id, route, status, remaining, retry_after, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (organization_id, route) DO UPDATE SET status = excluded.status, remaining = excluded.remaining,
         retry_after = excluded.retry_after, created_at = excluded.created_at`,
      [organizationId, fault.route, fault.status, fault.remaining, fault.retryAfter, now]);
  }

  /** The faults still armed, route by route. */
  async faults(organizationId: string): Promise<Fault[]> {
    const rows = await this.sql.all<FaultRow>(
      'SELECT route, status, remaining, retry_after FROM emulator_faults WHERE organization_id = ? AND remaining > 0 ORDER BY route',
      [organizationId]);
    return rows.map(toFault);
  }

  async clearFaults(organizationId: string): Promise<number> {
    return this.sql.run('DELETE FROM emulator_faults WHERE organization_id = ? AND remaining > 0', [organizationId]);
  }

  /**
   * Takes one answer from the fault armed for `route`, else from the one armed for every route: null when
   * none is. Each answer is taken by a conditional decrement, so N armed answers are N answers across every
   * process, never more.
   */
  async takeFault(organizationId: string, route: string): Promise<Fault | null> {
    const armed = await this.sql.all<FaultRow>(
      'SELECT route, status, remaining, retry_after FROM emulator_faults WHERE organization_id = ? AND route IN (?, ?) AND remaining > 0',
      [organizationId, route, EVERY_ROUTE]);
    armed.sort((a, b) => (a.route === EVERY_ROUTE ? 1 : 0) - (b.route === EVERY_ROUTE ? 1 : 0));
    for (const row of armed) {
      const taken = await this.sql.run(
        'UPDATE emulator_faults SET remaining = remaining - 1 WHERE organization_id = ? AND route = ? AND remaining > 0',
        [organizationId, row.route]);
      if (taken === 1) return toFault(row);
    }
    return null;
  }

  /**
   * Deletes everything the organization holds except itself, its workspaces and keys — profiles and their
   * history, links, webhook endpoints and their log, faults, its clock — then runs `restore` in the same
   * transaction. This process forgets what it kept of the organization, however the transaction ends.
   */
  async reset(organizationId: string, restore: (tx: Sql) => Promise<void>): Promise<void> {
    try {
      await this.sql.transaction(async (tx) => {
        for (const table of ORGANIZATION_DATA) await tx.run(`DELETE FROM ${table} WHERE organization_id = ?`, [organizationId]);
        await restore(tx);
      });
    } finally {
      this.cache?.forgetAll();
      this.subscriptions?.changed(organizationId);
    }
  }
}
