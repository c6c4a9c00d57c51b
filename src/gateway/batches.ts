/**
 * Message Batches through the gateway (pure rules). The batch's `anthropic-user-profile-id` applies to every
 * request in it (contract §14); a request whose own `params.user_profile_id` conflicts with it — a different
 * profile, or any profile when the batch names none (the batch is then the organization's own) — ends `errored`,
 * and so does one that asks to bill a user profile (Message Batches does not support it: SDK `billing_policy`).
 * Those requests never run; the others run on the stub model, or go upstream without their `user_profile_id`.
 */
import { describeType } from '../domain/text.js';
import { formatTimestamp } from '../domain/time.js';
import { ApiError, invalidRequest } from '../errors.js';
import type { BatchRecord } from '../store/message-batches.js';
import { billToOf } from './attribution.js';
import { readStubRequest, stubMessage } from './stub.js';
import { tokensOf, type Tokens } from './usage.js';

/** A stub batch is `in_progress` for this long after its creation, then `ended`. */
export const STUB_BATCH_MS = 1000;
/** results are available for 29 days; a batch expires 24 hours after creation if not ended (the hosted API's) */
const EXPIRES_AFTER_MS = 24 * 3_600_000;
export const MAX_BATCH_REQUESTS = 100_000;
export const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

export interface BatchRequest {
  customId: string;
  params: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The `requests` of a create body: 1 to 100,000, each `{custom_id, params}` with a unique custom_id. */
export function readBatchRequests(body: unknown): BatchRequest[] {
  if (!isObject(body)) throw invalidRequest(`The request body: expected a JSON object, got ${describeType(body)}.`);
  const { requests } = body;
  if (!Array.isArray(requests) || requests.length === 0) throw invalidRequest('requests: required, a non-empty array.');
  if (requests.length > MAX_BATCH_REQUESTS) throw invalidRequest(`requests: at most ${MAX_BATCH_REQUESTS} requests in a batch (got ${requests.length}).`);
  const seen = new Set<string>();
  return requests.map((request: unknown, i) => {
    if (!isObject(request)) throw invalidRequest(`requests.${i}: expected an object, got ${describeType(request)}.`);
    const { custom_id: customId, params } = request;
    if (typeof customId !== 'string' || !CUSTOM_ID.test(customId)) {
      throw invalidRequest(`requests.${i}.custom_id: required, 1 to 64 letters, digits, "-" or "_".`);
    }
    if (seen.has(customId)) throw invalidRequest(`requests.${i}.custom_id: ${JSON.stringify(customId)} is used by more than one request.`);
    seen.add(customId);
    if (!isObject(params)) throw invalidRequest(`requests.${i}.params: expected an object, got ${describeType(params)}.`);
    return { customId, params };
  });
}

/** A request uprof errored itself, with the reason metering counts it under. */
export interface ErroredRequest {
  customId: string;
  reason: string;
  error: ApiError;
}

export interface Screened {
  /** the requests that run, with `params.user_profile_id` removed */
  kept: BatchRequest[];
  errored: ErroredRequest[];
  /** whether `kept` differs from what was sent (if not, the body goes upstream byte for byte) */
  changed: boolean;
}

/** Applies the batch's attribution to each of its requests. */
export function screenBatch(requests: readonly BatchRequest[], profileId: string | null): Screened {
  const kept: BatchRequest[] = [];
  const errored: ErroredRequest[] = [];
  let changed = false;
  requests.forEach(({ customId, params }, i) => {
    const own = params.user_profile_id;
    if (own !== undefined) {
      if (own !== profileId) {
        errored.push({
          customId,
          reason: 'user_profile_conflict',
          error: invalidRequest(profileId === null
            ? `requests.${i}.params.user_profile_id: this batch names no user profile in its anthropic-user-profile-id header, so its requests cannot name one.`
            : `requests.${i}.params.user_profile_id: conflicts with the batch's anthropic-user-profile-id header ${JSON.stringify(profileId)}.`),
        });
        changed = true;
        return;
      }
      const { user_profile_id: _same, ...rest } = params;
      params = rest;
      changed = true;
    }
    try {
      if (billToOf(params, `requests.${i}.params.billing_policy`) === 'user_profile') {
        throw invalidRequest(`requests.${i}.params.billing_policy: Message Batches does not support billing a user profile; omit it or send "bill_to": "self".`);
      }
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      errored.push({ customId, reason: 'billing_policy_not_supported', error });
      changed = true;
      return;
    }
    kept.push({ customId, params });
  });
  return { kept, errored, changed };
}

const line = (customId: string, result: unknown) => `${JSON.stringify({ custom_id: customId, result })}\n`;

/** An `errored` result in the API's envelope. */
export function erroredLine(customId: string, error: ApiError, requestId: string): string {
  return line(customId, {
    type: 'errored',
    error: { type: 'error', error: { type: error.type, message: error.message, ...(error.details ? { details: error.details } : {}) }, request_id: requestId },
  });
}

/** The stub model's result for one request (streaming is not a batch's business: errored, as the API does). */
export function stubResultLine(request: BatchRequest, now: number, requestId: string): string {
  try {
    if (request.params.stream === true) throw invalidRequest('params.stream: Message Batches requests cannot stream.');
    const message = stubMessage(readStubRequest(request.params, { countTokens: false, field: 'params' }), now);
    return line(request.customId, { type: 'succeeded', message });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return erroredLine(request.customId, error, requestId);
  }
}

/** The lines of a JSONL text. */
export const jsonLines = (text: string) => text.split('\n').filter((l) => l !== '');

type ResultType = 'succeeded' | 'errored' | 'canceled' | 'expired';

/**
 * A stub batch's results as served: once cancelled (cancelling began before it ended), the requests the stub
 * would have run are `canceled`; the ones uprof refused stay `errored`.
 */
export function stubResults(record: BatchRecord): string[] {
  const lines = jsonLines(record.localResults);
  if (record.cancelInitiatedAt === null) return lines;
  return lines.map((text) => {
    const parsed = JSON.parse(text) as { custom_id: string; result: { type: ResultType } };
    return parsed.result.type === 'succeeded' ? line(parsed.custom_id, { type: 'canceled' }).trimEnd() : text;
  });
}

export const resultsUrl = (publicUrl: string, id: string) => `${publicUrl}/v1/messages/batches/${encodeURIComponent(id)}/results`;

const COUNT_KEYS: Record<ResultType, 'succeeded' | 'errored' | 'canceled' | 'expired'> = {
  succeeded: 'succeeded', errored: 'errored', canceled: 'canceled', expired: 'expired',
};

/** The MessageBatch object of a batch uprof holds whole (the stub's, or one whose every request uprof refused). */
export function renderLocalBatch(record: BatchRecord, now: number, publicUrl: string) {
  const ended = now >= record.endsAt;
  const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  if (ended) {
    for (const text of stubResults(record)) counts[COUNT_KEYS[(JSON.parse(text) as { result: { type: ResultType } }).result.type]]++;
  } else {
    counts.processing = record.requestCount;
  }
  return {
    id: record.id,
    type: 'message_batch',
    processing_status: ended ? 'ended' : record.cancelInitiatedAt !== null ? 'canceling' : 'in_progress',
    request_counts: counts,
    ended_at: ended ? formatTimestamp(record.endsAt) : null,
    created_at: formatTimestamp(record.createdAt),
    expires_at: formatTimestamp(record.createdAt + EXPIRES_AFTER_MS),
    archived_at: null,
    cancel_initiated_at: record.cancelInitiatedAt === null ? null : formatTimestamp(record.cancelInitiatedAt),
    results_url: ended ? resultsUrl(publicUrl, record.id) : null,
  };
}

/**
 * An upstream batch object as uprof serves it: its results are read through uprof (so `results_url` points
 * here), and the requests uprof errored itself are counted in (`processing` until the batch ends, then `errored`).
 */
export function adjustUpstreamBatch(batch: unknown, record: BatchRecord, publicUrl: string): unknown {
  if (!isObject(batch)) return batch;
  const local = jsonLines(record.localResults).length;
  const counts = isObject(batch.request_counts) ? { ...batch.request_counts } : null;
  if (counts && local > 0) {
    const bucket = batch.processing_status === 'ended' ? 'errored' : 'processing';
    counts[bucket] = (typeof counts[bucket] === 'number' ? counts[bucket] : 0) + local;
  }
  return {
    ...batch,
    ...(counts ? { request_counts: counts } : {}),
    results_url: typeof batch.results_url === 'string' ? resultsUrl(publicUrl, record.id) : batch.results_url ?? null,
  };
}

/** What a batch's results bill: its succeeded requests and their tokens (errored, canceled and expired ones bill nobody). */
export function succeededUsage(resultLine: string): Tokens | null {
  try {
    const parsed = JSON.parse(resultLine) as { result?: { type?: unknown; message?: { usage?: unknown } } };
    return parsed.result?.type === 'succeeded' ? tokensOf(parsed.result.message?.usage) : null;
  } catch {
    return null;
  }
}
