import type { Clock } from '../clock.js';
import { openActions } from '../domain/enforcement.js';
import { withStanding } from '../domain/profile.js';
import type { Store } from '../store/index.js';
import type { LeasedDelivery } from '../store/webhooks.js';
import { signPayload, type SecretBox } from './secrets.js';

export interface DeliveryOptions {
  /** delays before each retry, in ms (decisions §27: 5 s, 30 s, 2 min, 10 min, 1 h, 6 h) */
  retrySchedule: readonly number[];
  /** a 2xx within this time acknowledges an attempt */
  timeoutMs: number;
  /** consecutive failed events that disable an endpoint */
  disableAfter: number;
  /** how often each process looks for due work */
  pollMs: number;
}

const LEASE_SLACK_MS = 5_000;
/** attempts in flight per process; a slow receiver holds one slot, not the whole worker */
const MAX_IN_FLIGHT = 32;
const SYSTEM = { type: 'system' as const, id: null };
/** finished deliveries, their attempts and events stay in the delivery log this long */
const RETENTION_MS = 30 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;

/**
 * Runs in every server process. Each tick it resolves restrictions whose expiry has passed (so their
 * `enforcement_action_resolved` events are emitted) and delivers due webhook attempts. Deliveries are
 * leased in the database, so several processes share the work and never send one event concurrently.
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private prunedAt = 0;

  constructor(
    private readonly store: Store,
    private readonly secrets: SecretBox,
    private readonly options: DeliveryOptions,
    private readonly clock: Clock,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await Promise.all(this.inFlight);
  }

  /**
   * One round: sweep lapsed restrictions, then lease due deliveries into free slots and start them.
   * Attempts run on their own; a round does not wait for them. Overlapping rounds are skipped.
   */
  tick(): Promise<void> {
    this.running ??= this.round()
      .catch((error) => this.log.warn({ err: error }, 'webhook worker round failed'))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async round(): Promise<void> {
    // under the emulator, organizations whose test clocks run ahead are swept and served on their own time
    const ahead = await this.clock.syncAll();
    await this.resolveLapsedActions(null);
    for (const organizationId of ahead) await this.resolveLapsedActions(organizationId);
    const wall = this.clock.wall();
    if (wall - this.prunedAt > PRUNE_EVERY_MS) {
      this.prunedAt = wall;
      await this.store.webhooks.prune(wall - RETENTION_MS);
    }
    // a lease is taken and checked on one clock: under the emulator, each organization's deliveries on its own
    const scopes = this.clock.emulated ? await this.store.webhooks.organizationsWithPendingDeliveries() : [null];
    for (const organizationId of scopes) {
      const free = MAX_IN_FLIGHT - this.inFlight.size;
      if (free <= 0) return;
      const now = organizationId === null ? wall : this.clock.now(organizationId);
      const leased = await this.store.webhooks.lease(now, now + this.options.timeoutMs + LEASE_SLACK_MS, free, organizationId ?? undefined);
      for (const delivery of leased) {
        const attempt = this.attempt(delivery)
          .catch((error) => this.log.warn({ err: error }, 'webhook attempt could not be recorded'))
          .finally(() => this.inFlight.delete(attempt));
        this.inFlight.add(attempt);
      }
    }
  }

  /** Resolves restrictions that have lapsed, each on its organization's clock (`only`: one organization's). */
  private async resolveLapsedActions(only: string | null): Promise<void> {
    const horizon = only === null ? this.clock.wall() : this.clock.now(only);
    for (const { organizationId, id } of await this.store.profiles.withLapsedActions(horizon, 100, only ?? undefined)) {
      const now = this.clock.now(organizationId);
      await this.store.profiles.update(organizationId, id, SYSTEM, (p) => withStanding(p, { actions: openActions(p.actions, now) }, now));
    }
  }

  private async attempt(delivery: LeasedDelivery): Promise<void> {
    const started = this.clock.wall();
    const eventId = (JSON.parse(delivery.body) as { id: string }).id;
    // receivers check freshness against their own clock: the timestamp is always the real time
    const timestamp = Math.floor(this.clock.wall() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'uprof-webhooks/1',
          'webhook-id': eventId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signPayload(this.secrets.open(delivery.secretCiphertext), eventId, timestamp, delivery.body),
        },
        body: delivery.body,
      });
      status = response.status;
      await response.body?.cancel();
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (cause) {
      error = cause instanceof Error && cause.name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : String((cause as Error)?.message ?? cause);
    }
    const at = this.clock.now(delivery.organizationId);
    const retriesUsed = delivery.attempts - delivery.retryBase;
    const outcome =
      error === null
        ? ({ kind: 'delivered' } as const)
        : retriesUsed < this.options.retrySchedule.length
          ? ({ kind: 'retry', nextAttemptAt: at + this.options.retrySchedule[retriesUsed] } as const)
          : ({ kind: 'failed' } as const);
    await this.store.webhooks.recordAttempt(delivery, { at, status, latencyMs: this.clock.wall() - started, error }, outcome, this.options.disableAfter);
  }
}
