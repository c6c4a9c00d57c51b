import { openActions } from '../domain/enforcement.js';
import { withStanding } from '../domain/profile.js';
import type { Store } from '../store/index.js';
import type { LeasedDelivery } from '../store/webhooks.js';
import { signPayload, type SecretBox } from './secrets.js';

export interface DeliveryOptions {
  /** delays before each retry, in ms (decision 27: 5 s, 30 s, 2 min, 10 min, 1 h, 6 h) */
  retrySchedule: readonly number[];
  /** a 2xx within this time acknowledges an attempt */
  timeoutMs: number;
  /** consecutive failed events that disable an endpoint */
  disableAfter: number;
  /** how often each process looks for due work */
  pollMs: number;
}

const LEASE_SLACK_MS = 5_000;
const BATCH = 32;
const SYSTEM = { type: 'system' as const, id: null };

/**
 * Runs in every server process. Each tick it resolves restrictions whose expiry has passed (so their
 * `enforcement_action_resolved` events are emitted) and delivers due webhook attempts. Deliveries are
 * leased in the database, so several processes share the work and never send one event concurrently.
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly secrets: SecretBox,
    private readonly options: DeliveryOptions,
    private readonly now: () => number,
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
  }

  /** One round of work; overlapping ticks are skipped. Resolves when the round is done. */
  tick(): Promise<void> {
    this.running ??= this.round()
      .catch((error) => this.log.warn({ err: error }, 'webhook worker round failed'))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async round(): Promise<void> {
    await this.resolveLapsedActions();
    const now = this.now();
    const deliveries = await this.store.webhooks.lease(now, now + this.options.timeoutMs + LEASE_SLACK_MS, BATCH);
    await Promise.all(deliveries.map((delivery) => this.attempt(delivery)));
  }

  private async resolveLapsedActions(): Promise<void> {
    const now = this.now();
    for (const { organizationId, id } of await this.store.profiles.withLapsedActions(now, 100)) {
      await this.store.profiles.update(organizationId, id, SYSTEM, (p) => withStanding(p, { actions: openActions(p.actions, now) }, now));
    }
  }

  private async attempt(delivery: LeasedDelivery): Promise<void> {
    const started = this.now();
    const eventId = (JSON.parse(delivery.body) as { id: string }).id;
    const timestamp = Math.floor(started / 1000);
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
    const at = this.now();
    const retriesUsed = delivery.attempts - delivery.retryBase;
    const outcome =
      error === null
        ? ({ kind: 'delivered' } as const)
        : retriesUsed < this.options.retrySchedule.length
          ? ({ kind: 'retry', nextAttemptAt: at + this.options.retrySchedule[retriesUsed] } as const)
          : ({ kind: 'failed' } as const);
    await this.store.webhooks.recordAttempt(delivery, { at, status, latencyMs: at - started, error }, outcome, this.options.disableAfter);
  }
}
