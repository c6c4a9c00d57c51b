import client from 'prom-client';

/**
 * What GET /metrics reports, in Prometheus' text format (prom-client renders it). One registry per process:
 * a process serves one app, so counters are the process's own (several processes each report theirs).
 *
 * The hot paths (every request, every query) only add to numbers in series they found once: a series is
 * made the first time a label combination is seen and kept, so observing allocates nothing. The two
 * histograms below are small classes of our own that hand prom-client their values when it renders
 * (prom-client's own `observe` hashes its label object on every call).
 */
export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

/** Few buckets (seconds): a request or a query is under a millisecond, or it is not, and then how slow. */
const BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.5, 2.5];

export class Series {
  /** per bucket (not cumulative; the renderer adds them up) and one past the last: +Inf */
  private readonly counts = new Float64Array(BUCKETS.length + 1);
  sum = 0;
  count = 0;

  constructor(readonly labels: Readonly<Record<string, string>>) {}

  observe(seconds: number): void {
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }

  cumulative(): number[] {
    let total = 0;
    return Array.from(this.counts, (n) => (total += n));
  }
}

/** A histogram whose series are looked up by the caller once and kept (see `series`). */
class KeptHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly all = new Map<string, Series>();

  constructor(readonly name: string, readonly help: string) {
    registry.registerMetric(this as unknown as client.Metric);
  }

  /** The series of these labels (one per combination, in the process: apps built in one process share it). */
  series(labels: Record<string, string>): Series {
    const key = JSON.stringify(labels);
    let series = this.all.get(key);
    if (series === undefined) this.all.set(key, (series = new Series(labels)));
    return series;
  }

  /** prom-client's metric interface: the values to render */
  async get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const series of this.all.values()) {
      if (series.count === 0) continue;
      const cumulative = series.cumulative();
      BUCKETS.forEach((le, i) => values.push({ labels: { ...series.labels, le }, value: cumulative[i], metricName: `${this.name}_bucket` }));
      values.push({ labels: { ...series.labels, le: '+Inf' }, value: series.count, metricName: `${this.name}_bucket` });
      values.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

const requestSeconds = new KeptHistogram(
  'uprof_http_request_duration_seconds',
  'HTTP requests by method, route pattern (never the URL) and status: _count is the number of requests',
);

/**
 * The series of one route, by status code. A route looks its statuses up in a small map of its own;
 * requests no route matched share one (`route="unmatched"`).
 */
export class RouteMetrics {
  private readonly byStatus = new Map<number, Series>();

  constructor(private readonly method: string, private readonly route: string) {}

  observe(status: number, seconds: number): void {
    let series = this.byStatus.get(status);
    if (series === undefined) {
      series = requestSeconds.series({ method: this.method, route: this.route, status: String(status) });
      this.byStatus.set(status, series);
    }
    series.observe(seconds);
  }
}

const databaseSeconds = new KeptHistogram(
  'uprof_db_duration_seconds',
  'Database time by engine and kind: read (a query), write (a batch of statements, group commit included), transaction (begin to commit)',
);
const databaseSeries = new Map<string, { read: Series; write: Series; transaction: Series }>();

/** The database-time series of one engine (made once per engine). */
export function databaseMetrics(engine: string) {
  let kept = databaseSeries.get(engine);
  if (kept === undefined) {
    kept = {
      read: databaseSeconds.series({ engine, kind: 'read' }),
      write: databaseSeconds.series({ engine, kind: 'write' }),
      transaction: databaseSeconds.series({ engine, kind: 'transaction' }),
    };
    databaseSeries.set(engine, kept);
  }
  return kept;
}

/** SQLite group commit: how many writes each commit carried. */
export const groupCommitSize = new client.Histogram({
  name: 'uprof_group_commit_writes',
  help: 'Writes committed together in one SQLite group commit',
  buckets: [1, 2, 5, 10, 25, 100],
  registers: [registry],
});

/** SQLite checkpoints of a served database, run on their own thread (store/wal-checkpoints.ts). */
export const walCheckpoints = new client.Counter({
  name: 'uprof_sqlite_checkpoints_total',
  help: 'SQLite WAL checkpoints run off the event loop: pass (copied the log while writes went on), restart (held writes to copy the rest, so the log starts over)',
  labelNames: ['kind'],
  registers: [registry],
});

/** Webhook delivery attempts by outcome: delivered, retry (failed, will be tried again), failed (gave up). */
export const webhookAttempts = new client.Counter({
  name: 'uprof_webhook_attempts_total',
  help: 'Webhook delivery attempts by outcome: delivered, retry (failed, tried again later), failed (retries exhausted)',
  labelNames: ['outcome'],
  registers: [registry],
});

/** Set by GET /metrics just before it renders, from the database its app serves. */
export const webhookQueue = new client.Gauge({
  name: 'uprof_webhook_pending_deliveries',
  help: 'Webhook deliveries waiting to be sent (due now or later), all organizations',
  registers: [registry],
});

/** Counted by KeyResolver on every lookup: plain numbers on the hot path, read when rendering. */
export const keyCache = { hits: 0, misses: 0 };
new client.Counter({
  name: 'uprof_key_cache_lookups_total',
  help: 'API key lookups by result: hit (answered from the process cache) or miss (read from the database)',
  labelNames: ['result'],
  registers: [registry],
  collect() {
    this.reset();
    this.inc({ result: 'hit' }, keyCache.hits);
    this.inc({ result: 'miss' }, keyCache.misses);
  },
});

/**
 * Requests refused by a throttle, by reason (e.g. `failed_auth`). Whoever throttles calls
 * `throttled.inc({ reason })`.
 */
export const throttled = new client.Counter({
  name: 'uprof_throttled_requests_total',
  help: 'Requests refused by a throttle, by reason',
  labelNames: ['reason'],
  registers: [registry],
});

/** Everything above, together, for callers that prefer one import. */
export const metrics = { registry, groupCommitSize, walCheckpoints, webhookAttempts, webhookQueue, keyCache, throttled };
