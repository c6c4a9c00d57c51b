/**
 * The usage report the operator API serves and the console shows: metered counts over a time range, per bucket
 * (UTC minute, hour or day), per API key, and in total.
 */
import { readEnum } from '../domain/text.js';
import { formatTimestamp, readTimestamp } from '../domain/time.js';
import { invalidRequest } from '../errors.js';
import type { UsageSums } from '../store/usage.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './usage.js';

export const GRANULARITIES = ['minute', 'hour', 'day'] as const;
export type Granularity = (typeof GRANULARITIES)[number];
const BUCKET_MS: Record<Granularity, number> = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS };
/** without `from`: the last hour by minute, the last day by hour, the last 30 days by day */
const DEFAULT_SPAN_MS: Record<Granularity, number> = { minute: HOUR_MS, hour: DAY_MS, day: 30 * DAY_MS };
/** a report has at most this many buckets */
export const MAX_BUCKETS = 1440;

export interface ReportRange {
  granularity: Granularity;
  bucketMs: number;
  /** the first bucket's start (`from` rounded down to the granularity, UTC) */
  from: number;
  to: number;
}

/** `from`, `to` (RFC 3339) and `granularity`, with their defaults and limits. */
export function readReportRange(query: { from?: string; to?: string; granularity?: string }, now: number): ReportRange {
  const granularity = query.granularity === undefined ? 'day' : readEnum('granularity', query.granularity, GRANULARITIES);
  const bucketMs = BUCKET_MS[granularity];
  const to = query.to === undefined ? now : readTimestamp('to', query.to, Infinity);
  const asked = query.from === undefined ? to - DEFAULT_SPAN_MS[granularity] : readTimestamp('from', query.from, Infinity);
  if (asked >= to) throw invalidRequest('from: must be before to.');
  const from = asked - (((asked % bucketMs) + bucketMs) % bucketMs);
  const buckets = Math.ceil((to - from) / bucketMs);
  if (buckets > MAX_BUCKETS) {
    throw invalidRequest(`from, to: at most ${MAX_BUCKETS} buckets of a ${granularity} in one report (this range has ${buckets}); narrow it or choose a coarser granularity.`);
  }
  return { granularity, bucketMs, from, to };
}

/** Counts in the report's words: requests by kind, tokens, and refusals by reason. */
export interface ReportCounts {
  requests: number;
  messages: number;
  count_tokens: number;
  batch_requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  refusals: Record<string, number>;
}

export const emptyCounts = (): ReportCounts => ({
  requests: 0, messages: 0, count_tokens: 0, batch_requests: 0,
  input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, refusals: {},
});

const REQUEST_KINDS: Record<string, 'messages' | 'count_tokens' | 'batch_requests'> = {
  message: 'messages', count_tokens: 'count_tokens', batch_request: 'batch_requests',
};

/** Adds one counter row (a kind and its sums) to `counts`. */
function add(counts: ReportCounts, kind: string, sums: UsageSums): void {
  if (kind.startsWith('refused:')) {
    const reason = kind.slice('refused:'.length);
    counts.refusals[reason] = (counts.refusals[reason] ?? 0) + sums.requests;
    return;
  }
  const field = REQUEST_KINDS[kind];
  if (field) counts[field] += sums.requests;
  counts.requests += sums.requests;
  counts.input_tokens += sums.tokens.input;
  counts.output_tokens += sums.tokens.output;
  counts.cache_creation_input_tokens += sums.tokens.cacheCreation;
  counts.cache_read_input_tokens += sums.tokens.cacheRead;
}

/** The report body: every bucket of the range (empty ones too, so a chart needs no gaps filled), keys, totals. */
export function renderReport(
  range: ReportRange,
  buckets: readonly { bucket: number; kind: string; sums: UsageSums }[],
  keys: readonly { keyId: string; kind: string; sums: UsageSums }[],
) {
  const byBucket = new Map<number, ReportCounts>();
  for (let start = range.from; start < range.to; start += range.bucketMs) byBucket.set(start, emptyCounts());
  const totals = emptyCounts();
  for (const row of buckets) {
    const counts = byBucket.get(row.bucket);
    if (counts) add(counts, row.kind, row.sums);
    add(totals, row.kind, row.sums);
  }
  const byKey = new Map<string, ReportCounts>();
  for (const row of keys) {
    if (!byKey.has(row.keyId)) byKey.set(row.keyId, emptyCounts());
    add(byKey.get(row.keyId)!, row.kind, row.sums);
  }
  return {
    granularity: range.granularity,
    from: formatTimestamp(range.from),
    to: formatTimestamp(range.to),
    data: [...byBucket].map(([start, counts]) => ({
      starting_at: formatTimestamp(start),
      ending_at: formatTimestamp(Math.min(start + range.bucketMs, range.to)),
      ...counts,
    })),
    api_keys: [...byKey].map(([keyId, counts]) => ({ api_key_id: keyId, ...counts })),
    totals,
  };
}
