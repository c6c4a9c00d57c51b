import type { Clock } from '../clock.js';
import { openActions } from '../domain/enforcement.js';
import { EVIDENCE_RETENTION_DAYS } from '../domain/identity.js';
import { withStanding } from '../domain/profile.js';
import type { Store } from '../store/index.js';
import type { DeliveryCaps, LeasedDelivery } from '../store/webhooks.js';
import { signPayload, type SecretBox } from './secrets.js';
import { webhookAttempts } from '../metrics.js';
import { post } from './targets.js';

export interface DeliveryOptions {
  /** delays before each retry, in ms (decisions §27: 5 s, 30 s, 2 min, 10 min, 1 h, 6 h) */
  retrySchedule: readonly number[];
  /** a 2xx within this time acknowledges an attempt */
  timeoutMs: number;
  /** consecutive failed events that disable an endpoint */
  disableAfter: number;
  /** how often each process looks for due work */
  pollMs: number;
  /** deliver to loopback, private … addresses too (else refused, after DNS resolution: src/webhooks/targets.ts) */
  allowPrivateTargets: boolean;
}

const LEASE_SLACK_MS = 5_000;
/** attempts in flight per process */
const MAX_IN_FLIGHT = 32;
/**
 * Attempts in flight at once, over every process: to one endpoint, and to all endpoints of one organization.
 * A slow or dead receiver holds this many slots and waits its turn for more; everyone else goes on.
 */
export const DELIVERY_CAPS: DeliveryCaps = { perEndpoint: 4, perOrganization: 8 };
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
  /** another round is wanted once the current one ends (an attempt finished, or the timer fired) */
  private wanted = false;
  /** the next round also sweeps lapsed restrictions and prunes (the timer's rounds do) */
  private sweepWanted = false;
  private stopped = false;

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
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await Promise.all(this.inFlight);
  }

  /**
   * One round: sweep lapsed restrictions, then lease due deliveries into free slots and start them.
   * Attempts run on their own; a round does not wait for them. A round asked for while one runs follows it.
   */
  tick(sweep = true): Promise<void> {
    if (sweep) this.sweepWanted = true;
    this.wanted = true;
    this.running ??= this.rounds().finally(() => {
      this.running = null;
      if (this.wanted && !this.stopped) void this.tick(false);
    });
    return this.running;
  }

  private async rounds(): Promise<void> {
    while (this.wanted && !this.stopped) {
      this.wanted = false;
      await this.round().catch((error) => this.log.warn({ err: error }, 'webhook worker round failed'));
    }
  }

  private async round(): Promise<void> {
    // under the emulator, organizations whose test clocks run ahead are swept and served on their own time
    const ahead = await this.clock.syncAll();
    if (this.sweepWanted) {
      this.sweepWanted = false;
      await this.resolveLapsedActions(null);
      for (const organizationId of ahead) await this.resolveLapsedActions(organizationId);
      const wall = this.clock.wall();
      if (wall - this.prunedAt > PRUNE_EVERY_MS) {
        this.prunedAt = wall;
        await this.store.webhooks.prune(wall - RETENTION_MS);
        await this.purgeEvidence(wall);
      }
    }
    // a lease is taken and checked on one clock: under the emulator, each organization's deliveries on its own
    const scopes = this.clock.emulated ? await this.store.webhooks.organizationsWithPendingDeliveries() : [null];
    for (const organizationId of scopes) {
      const free = MAX_IN_FLIGHT - this.inFlight.size;
      if (free <= 0) return;
      const now = organizationId === null ? this.clock.wall() : this.clock.now(organizationId);
      const leased = await this.store.webhooks.lease(now, now + this.options.timeoutMs + LEASE_SLACK_MS, free, DELIVERY_CAPS, organizationId ?? undefined);
      for (const delivery of leased) {
        const attempt = this.attempt(delivery)
          .catch((error) => this.log.warn({ err: error }, 'webhook attempt could not be recorded'))
          .finally(() => {
            this.inFlight.delete(attempt);
            // a slot is free, and the queue it came from may have more: lease again now, not at the next poll
            if (!this.stopped) void this.tick(false);
          });
        this.inFlight.add(attempt);
      }
    }
  }

  /**
   * Identity-check evidence is deleted EVIDENCE_RETENTION_DAYS after the decision on it; a check that left
   * review without a decision (its restriction resolved or lapsed, or the profile deleted) once it is that old.
   */
  private async purgeEvidence(now: number): Promise<void> {
    const cutoff = now - EVIDENCE_RETENTION_DAYS * 24 * 3600_000;
    await this.store.identityChecks.purgeDecided(cutoff);
    for (const check of await this.store.identityChecks.undecidedBefore(cutoff, 100)) {
      const profile = await this.store.profiles.find(check.organizationId, check.profileId);
      const inReview = profile?.actions.some((a) => a.id === check.actionId && a.checkSubmitted) ?? false;
      if (!inReview) await this.store.identityChecks.remove(check.organizationId, check.id);
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
    // receivers check freshness against their own clock, which no test or emulator moves: the one place the
    // operating system's time is read directly (an advanced test clock would make every signature "too new")
    const timestamp = Math.floor(Date.now() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await post(delivery.url, delivery.body, {
        timeoutMs: this.options.timeoutMs,
        allowPrivate: this.options.allowPrivateTargets,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'uprof-webhooks/1',
          'webhook-id': eventId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signPayload(this.secrets.open(delivery.secretCiphertext), eventId, timestamp, delivery.body),
        },
      });
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (cause) {
      error = String((cause as Error)?.message ?? cause);
    }
    const at = this.clock.now(delivery.organizationId);
    const retriesUsed = delivery.attempts - delivery.retryBase;
    const outcome =
      error === null
        ? ({ kind: 'delivered' } as const)
        : retriesUsed < this.options.retrySchedule.length
          ? ({ kind: 'retry', nextAttemptAt: at + this.options.retrySchedule[retriesUsed] } as const)
          : ({ kind: 'failed' } as const);
    webhookAttempts.inc({ outcome: outcome.kind });
    await this.store.webhooks.recordAttempt(delivery, { at, status, latencyMs: this.clock.wall() - started, error }, outcome, this.options.disableAfter);
  }
}
