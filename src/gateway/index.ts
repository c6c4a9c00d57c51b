/**
 * The inference gateway (decisions §39): `/v1/messages`, `/v1/messages/count_tokens` and Message Batches, with
 * the attribution rules applied before anything goes upstream (attribution.ts), answered by the upstream
 * (upstream.ts) or the stub model (stub.ts), and metered off the request path (meter.ts, budgets.ts).
 */
import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { Readable, Transform, pipeline } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { isWellFormedId, newId } from '../ids.js';
import { ApiError, invalidRequest, notFound } from '../errors.js';
import type { GatewaySettings } from '../store/gateway-settings.js';
import type { BatchRecord } from '../store/message-batches.js';
import type { Store } from '../store/index.js';
import type { UsageScope } from '../store/usage.js';
import {
  billingNotAuthorized, profileRequired, unknownProfile, reasonOf, standingOf, standingRefusal, type BillTo,
} from './attribution.js';
import {
  adjustUpstreamBatch, erroredLine, jsonLines, readBatchRequests, renderLocalBatch, screenBatch, STUB_BATCH_MS,
  stubResultLine, stubResults, succeededUsage,
} from './batches.js';
import { Budgets, Kept } from './budgets.js';
import { Meter, type MeterLog } from './meter.js';
import { readStubRequest, stubAnswer, stubMessage, stubStreamEvents } from './stub.js';
import { Upstream, returnedHeaders, type UpstreamCall } from './upstream.js';
import { JsonUsageTap, StreamUsageTap, type UsageTap } from './usage-taps.js';
import { renderReport, type ReportRange } from './usage-report.js';
import { minuteOf, NO_TOKENS, type Tokens } from './usage.js';

/** Every time the gateway reads is its organization's (one clock function, so a per-organization clock slots in). */
export type OrganizationClock = (organizationId: string) => number;

/** Who calls: admission's answer, plus the request's id (errored batch results carry it). */
export interface Caller {
  organizationId: string;
  workspaceId: string;
  keyId: string;
  requestId: string;
}

/** A gateway route's body: the bytes as sent (what goes upstream) and their JSON (what uprof reads). */
export interface GatewayBody {
  bytes: Buffer;
  json: unknown;
}

export type Kind = 'message' | 'count_tokens';

export interface GatewayDeps {
  config: Config;
  store: Store;
  clock: OrganizationClock;
  /** process time: the meter's ledger and the caches */
  now: () => number;
  log: MeterLog;
  /** mints an action URL for a profile: the next step a restriction's refusal names */
  actionLink(organizationId: string, profileId: string): Promise<{ url: string; expiresAt: number }>;
}

/** A Transform that shows every chunk to `tap` on its way, and appends what `tail` gives at the end. */
function tapping(tap: (chunk: Buffer) => void, tail: () => string): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      tap(chunk);
      done(null, chunk);
    },
    flush(done) {
      const text = tail();
      done(null, text === '' ? undefined : text);
    },
  });
}

/** An upstream answer's whole body; one that breaks off (or is cut because the platform left) is a 502. */
function readAll(answer: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    answer.on('data', (chunk: Buffer) => chunks.push(chunk));
    answer.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    answer.once('error', () => reject(new ApiError(502, 'api_error', "The upstream API's answer broke off.")));
    answer.once('aborted', () => reject(new ApiError(502, 'api_error', "The upstream API's answer broke off.")));
  });
}

const noBatch = (id: string) => notFound(`No message batch ${JSON.stringify(id.length > 100 ? `${id.slice(0, 100)}…` : id)} in this workspace.`);

export class Gateway {
  readonly meter: Meter;
  readonly budgets: Budgets;
  readonly upstream: Upstream | null;
  private readonly settings: Kept<GatewaySettings>;
  /** action URLs minted for refusals, reused while more than half their life remains (a refusal need not write a row) */
  private readonly links: Kept<{ url: string; expiresAt: number }>;
  /** each organization's time */
  readonly clock: OrganizationClock;

  constructor(private readonly deps: GatewayDeps) {
    const { config, store } = deps;
    this.clock = deps.clock;
    this.meter = new Meter(store.usage, config.gateway.usageFlushMs, deps.now, deps.log, (records) => this.budgets.afterFlush(records));
    this.budgets = new Budgets(store.gatewaySettings, store.usage, this.meter, deps.clock, deps.now, {
      budgetTtlMs: config.keyCacheTtlMs,
      usageTtlMs: config.gateway.usageFlushMs,
    });
    const upstreamUrl = config.gateway.upstreamUrl;
    this.upstream = upstreamUrl === null ? null : new Upstream({ ...config.gateway, upstreamUrl });
    this.settings = new Kept(config.keyCacheTtlMs, deps.now);
    this.links = new Kept(30 * 60_000, deps.now);
  }

  start(): void {
    this.meter.start();
  }

  async stop(): Promise<void> {
    await this.meter.stop();
    this.upstream?.close();
  }

  /** The operator changed the organization's settings on this process: read them afresh. */
  forgetSettings(organizationId: string): void {
    this.settings.forget(organizationId);
  }

  /** The usage report of a profile ('' for unattributed usage) or a whole organization (null), from what has been flushed. */
  async report(scope: UsageScope, range: ReportRange) {
    const [buckets, keys] = await Promise.all([
      this.deps.store.usage.byBucket(scope, range.from, range.to, range.bucketMs),
      this.deps.store.usage.byKey(scope, range.from, range.to),
    ]);
    return renderReport(range, buckets, keys);
  }

  // ------------------------------------------------------------------ attribution

  /**
   * The attribution rules, in order (README "The inference gateway"): the header names a live profile of the
   * caller's organization or the request is refused (400 `user_profile_not_found`); no header passes unattributed
   * unless billing goes to a profile or the organization requires attribution (400 `user_profile_required`); then
   * the profile's enforcement (403), its billing authorization when billing goes to it (403), and its budget (429).
   * Resolves to the profile id ('' for none); every refusal is counted under its reason.
   * `billTo` is null where billing does not apply (count_tokens bills nobody; batches screen it per request).
   */
  async attribute(caller: Caller, header: string | undefined, billTo: BillTo | null): Promise<string> {
    const { organizationId } = caller;
    if (header === undefined) {
      if (billTo === 'user_profile') throw this.refused(caller, '', profileRequired('billing'));
      const settings = await this.settings.get(organizationId, () => this.deps.store.gatewaySettings.settings(organizationId));
      if (settings.requireAttribution) throw this.refused(caller, '', profileRequired('organization'));
      return '';
    }
    const id = header.trim();
    const profile = isWellFormedId('uprof', id) ? await this.deps.store.profiles.find(organizationId, id) : null;
    if (!profile) throw this.refused(caller, '', unknownProfile(id));
    const standing = standingOf(profile, this.deps.clock(organizationId));
    if (!standing.allowed) {
      const link = standing.status !== 'banned' && standing.verify ? await this.actionLink(organizationId, id) : null;
      throw this.refused(caller, id, standingRefusal(id, standing, link));
    }
    if (billTo === 'user_profile' && !profile.billingAuthorized) throw this.refused(caller, id, billingNotAuthorized(id));
    try {
      await this.budgets.check(organizationId, id);
    } catch (error) {
      if (error instanceof ApiError) throw this.refused(caller, id, error);
      throw error;
    }
    return id;
  }

  private refused(caller: Caller, profileId: string, error: ApiError): ApiError {
    this.count(caller, profileId, `refused:${reasonOf(error)}`, 1, NO_TOKENS);
    return error;
  }

  private actionLink(organizationId: string, profileId: string) {
    return this.links.get(`${organizationId}\u0000${profileId}`, () => this.deps.actionLink(organizationId, profileId));
  }

  private count(caller: Caller, profileId: string, kind: string, requests: number, tokens: Tokens): void {
    this.meter.record(caller.organizationId, profileId, caller.keyId, kind, this.deps.clock(caller.organizationId), requests, tokens);
  }

  /** Counts one request once its answer is over (sent, or cut off by the client): `tokens` is read then. */
  private countWhenAnswered(reply: FastifyReply, caller: Caller, profileId: string, kind: string, tokens: () => Tokens): void {
    reply.raw.once('close', () => this.count(caller, profileId, kind, 1, tokens()));
  }

  // ------------------------------------------------------------------ Messages and count_tokens

  /** `POST /v1/messages` (JSON or stream) and `POST /v1/messages/count_tokens`, for an attributed caller. */
  async messages(request: FastifyRequest, reply: FastifyReply, caller: Caller, profileId: string, kind: Kind, body: GatewayBody | undefined) {
    if (this.upstream) return this.forward(request, reply, caller, profileId, kind, body?.bytes ?? null);
    let stub;
    try {
      stub = readStubRequest(body?.json, { countTokens: kind === 'count_tokens' });
    } catch (error) {
      this.countWhenAnswered(reply, caller, profileId, kind, () => NO_TOKENS);
      throw error;
    }
    const now = this.deps.clock(caller.organizationId);
    if (kind === 'count_tokens') {
      this.countWhenAnswered(reply, caller, profileId, kind, () => NO_TOKENS);
      return { input_tokens: stub.inputTokens };
    }
    const usage = stubAnswer(stub).usage;
    this.countWhenAnswered(reply, caller, profileId, kind, () => usage);
    if (!stub.stream) return stubMessage(stub, now);
    reply.header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache');
    return reply.send(Readable.from(stubStreamEvents(stub, now)));
  }

  /**
   * Sends the request upstream and relays the answer as it comes (streams event by event), reading its usage on
   * the way. count_tokens bills nobody: it counts as a request without tokens.
   */
  private async forward(request: FastifyRequest, reply: FastifyReply, caller: Caller, profileId: string, kind: Kind, body: Buffer | null) {
    let tap: UsageTap | null = null;
    this.countWhenAnswered(reply, caller, profileId, kind, () => (kind === 'message' ? tap?.tokens() : null) ?? NO_TOKENS);
    const answer = await this.call(reply, { method: 'POST', path: request.url, headers: request.headers, body });
    if ((answer.headers['content-type'] ?? '').startsWith('text/event-stream')) {
      const reader = (tap = new StreamUsageTap());
      return this.relay(reply, answer, (chunk) => reader.push(chunk));
    }
    // a JSON answer is small and whole at once: read, then sent in one write
    const bytes = await readAll(answer);
    const reader = (tap = new JsonUsageTap());
    reader.push(bytes);
    return reply.code(answer.statusCode ?? 502).headers(returnedHeaders(answer.headers, false)).send(bytes);
  }

  /** One upstream call, cut when the platform goes away before its answer is over. */
  private call(reply: FastifyReply, call: UpstreamCall): Promise<IncomingMessage> {
    let cuts = this.cuts.get(reply);
    if (!cuts) {
      const pending = (cuts = new Set());
      this.cuts.set(reply, pending);
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) for (const cut of pending) cut();
      });
    }
    const registered = cuts;
    return this.upstream!.request(call, (cut) => registered.add(cut));
  }

  /** the upstream calls of each answer (one listener per answer, however many calls it makes) */
  private readonly cuts = new WeakMap<FastifyReply, Set<() => void>>();

  /**
   * Passes the upstream's answer on as it arrives, showing each chunk to `tap`; `tail` (when given) adds to its end,
   * so the upstream's length no longer holds.
   */
  private relay(reply: FastifyReply, answer: IncomingMessage, tap: (chunk: Buffer) => void, tail?: () => string) {
    reply.code(answer.statusCode ?? 502).headers(returnedHeaders(answer.headers, tail !== undefined));
    const passed = tapping(tap, tail ?? (() => ''));
    pipeline(answer, passed, () => {});
    return reply.send(passed);
  }

  /**
   * An upstream JSON answer, read whole: 2xx answers come back as JSON for uprof to adjust (with the upstream's
   * headers when `headers`), any other answer is passed on exactly as it came.
   */
  private async upstreamJson(reply: FastifyReply, call: UpstreamCall, headers = true): Promise<{ ok: true; json: unknown } | { ok: false; sent: FastifyReply }> {
    const answer = await this.call(reply, call);
    const bytes = await readAll(answer);
    const status = answer.statusCode ?? 502;
    if (status >= 200 && status < 300) {
      try {
        const json: unknown = JSON.parse(bytes.toString('utf8'));
        if (headers) reply.code(status).headers(returnedHeaders(answer.headers, true));
        return { ok: true, json };
      } catch {
        // not JSON after all: passed on as it is
      }
    }
    return { ok: false, sent: reply.code(status).headers(returnedHeaders(answer.headers, false)).send(bytes) };
  }

  // ------------------------------------------------------------------ Message Batches

  /** `POST /v1/messages/batches`: the header applies to every request; conflicting ones end `errored` (batches.ts). */
  async createBatch(request: FastifyRequest, reply: FastifyReply, caller: Caller, profileId: string, body: GatewayBody | undefined) {
    const requests = readBatchRequests(body?.json);
    const screened = screenBatch(requests, profileId === '' ? null : profileId);
    for (const errored of screened.errored) this.count(caller, profileId, `refused:${errored.reason}`, 1, NO_TOKENS);
    const refusedLines = screened.errored.map((e) => erroredLine(e.customId, e.error, caller.requestId)).join('');
    const now = this.deps.clock(caller.organizationId);
    const record: BatchRecord = {
      organizationId: caller.organizationId, id: '', workspaceId: caller.workspaceId, keyId: caller.keyId, profileId,
      upstream: false, requestCount: requests.length, createdAt: now, endsAt: now, cancelInitiatedAt: null,
      localResults: refusedLines, meteredAt: null,
    };
    if (!this.upstream || screened.kept.length === 0) {
      // the stub runs it (or nothing runs: every request was refused)
      const ran = this.upstream ? '' : screened.kept.map((r) => stubResultLine(r, now, caller.requestId)).join('');
      Object.assign(record, { id: newId('msgbatch', now), endsAt: this.upstream ? now : now + STUB_BATCH_MS, localResults: ran + refusedLines });
      await this.deps.store.messageBatches.insert(record);
      return renderLocalBatch(record, now, this.deps.config.publicUrl);
    }
    const sent = screened.changed
      ? Buffer.from(JSON.stringify({ ...(body!.json as object), requests: screened.kept.map((r) => ({ custom_id: r.customId, params: r.params })) }))
      : body!.bytes;
    const answer = await this.upstreamJson(reply, { method: 'POST', path: request.url, headers: request.headers, body: sent });
    if (!answer.ok) return answer.sent;
    const id = (answer.json as { id?: unknown })?.id;
    if (typeof id !== 'string' || id === '') return answer.json; // not a batch: nothing for uprof to keep
    Object.assign(record, { id, upstream: true });
    await this.deps.store.messageBatches.insert(record);
    return adjustUpstreamBatch(answer.json, record, this.deps.config.publicUrl);
  }

  private async batch(caller: Caller, id: string): Promise<BatchRecord> {
    const record = id.length <= 256 ? await this.deps.store.messageBatches.find(caller.organizationId, caller.workspaceId, id) : null;
    if (!record) throw noBatch(id);
    return record;
  }

  /**
   * A batch as served now: the stub's from the database, an upstream one from the upstream, adjusted (the
   * upstream's headers come with it when `headers`).
   */
  private async current(request: FastifyRequest, reply: FastifyReply, caller: Caller, record: BatchRecord, path: string, headers: boolean) {
    if (!record.upstream) return renderLocalBatch(record, this.deps.clock(caller.organizationId), this.deps.config.publicUrl);
    const answer = await this.upstreamJson(reply, { method: 'GET', path, headers: request.headers, body: null }, headers);
    return answer.ok ? adjustUpstreamBatch(answer.json, record, this.deps.config.publicUrl) : answer.sent;
  }

  /** `GET /v1/messages/batches/{id}` */
  async retrieveBatch(request: FastifyRequest, reply: FastifyReply, caller: Caller, id: string) {
    return this.current(request, reply, caller, await this.batch(caller, id), request.url, true);
  }

  /** `GET /v1/messages/batches`: the workspace's batches made through uprof, newest first. */
  async listBatches(request: FastifyRequest, reply: FastifyReply, caller: Caller, page: { limit: number; afterId: string | null; beforeId: string | null }) {
    const rows = await this.deps.store.messageBatches.list(caller.organizationId, caller.workspaceId, page);
    const shown = rows.slice(0, page.limit);
    const data: unknown[] = [];
    for (const record of shown) {
      const path = `/v1/messages/batches/${encodeURIComponent(record.id)}${request.url.includes('?beta=true') ? '?beta=true' : ''}`;
      const batch = await this.current(request, reply, caller, record, path, false);
      if (batch === reply) return reply; // the upstream refused: its answer has been passed on
      data.push(batch);
    }
    return { data, has_more: rows.length > page.limit, first_id: shown[0]?.id ?? null, last_id: shown.at(-1)?.id ?? null };
  }

  /** `POST /v1/messages/batches/{id}/cancel` */
  async cancelBatch(request: FastifyRequest, reply: FastifyReply, caller: Caller, id: string) {
    const record = await this.batch(caller, id);
    if (!record.upstream) {
      const now = this.deps.clock(caller.organizationId);
      if (await this.deps.store.messageBatches.cancel(caller.organizationId, id, now)) record.cancelInitiatedAt = now;
      return renderLocalBatch(record, now, this.deps.config.publicUrl);
    }
    const answer = await this.upstreamJson(reply, { method: 'POST', path: request.url, headers: request.headers, body: null });
    return answer.ok ? adjustUpstreamBatch(answer.json, record, this.deps.config.publicUrl) : answer.sent;
  }

  /**
   * `GET /v1/messages/batches/{id}/results` (JSONL). A batch's usage is counted once, when its results are first
   * read in full through uprof: its succeeded requests and their tokens (uprof does not poll the upstream).
   */
  async batchResults(request: FastifyRequest, reply: FastifyReply, caller: Caller, id: string) {
    const record = await this.batch(caller, id);
    const succeeded = { requests: 0, tokens: { ...NO_TOKENS } };
    const add = (resultLine: string) => {
      const tokens = succeededUsage(resultLine);
      if (!tokens) return;
      succeeded.requests++;
      succeeded.tokens.input += tokens.input;
      succeeded.tokens.output += tokens.output;
      succeeded.tokens.cacheCreation += tokens.cacheCreation;
      succeeded.tokens.cacheRead += tokens.cacheRead;
    };
    if (!record.upstream) {
      const now = this.deps.clock(caller.organizationId);
      if (now < record.endsAt) throw invalidRequest(`Message batch ${JSON.stringify(id)} has not ended yet: its results are available once it has.`);
      const lines = stubResults(record);
      lines.forEach(add);
      reply.raw.once('finish', () => void this.meterBatch(caller, record, succeeded));
      return reply.header('content-type', 'application/binary').send(lines.map((l) => `${l}\n`).join(''));
    }
    const answer = await this.call(reply, { method: 'GET', path: request.url, headers: request.headers, body: null });
    if ((answer.statusCode ?? 502) >= 300) return this.relay(reply, answer, () => {});
    // the upstream's lines are read as they pass; uprof's own errored lines follow them
    let carry = '';
    const decoder = new StringDecoder('utf8');
    const local = jsonLines(record.localResults).map((l) => `${l}\n`).join('');
    reply.raw.once('finish', () => {
      add(carry);
      void this.meterBatch(caller, record, succeeded);
    });
    return this.relay(reply, answer, (chunk) => {
      const lines = (carry + decoder.write(chunk)).split('\n');
      carry = lines.pop()!;
      lines.forEach(add);
    }, () => (local === '' ? '' : `${carry === '' ? '' : '\n'}${local}`));
  }

  private async meterBatch(caller: Caller, record: BatchRecord, succeeded: { requests: number; tokens: Tokens }): Promise<void> {
    if (record.meteredAt !== null) return;
    const { organizationId } = caller;
    const now = this.deps.clock(organizationId);
    const records = succeeded.requests === 0 ? [] : [{
      organizationId, profileId: record.profileId, minute: minuteOf(now), keyId: record.keyId, kind: 'batch_request',
      requests: succeeded.requests, tokens: succeeded.tokens,
    }];
    try {
      await this.deps.store.messageBatches.meterOnce(organizationId, record.id, now, records);
    } catch (error) {
      this.deps.log.warn({ err: error, batch: record.id }, 'batch usage not counted; the next complete read of its results counts it');
    }
  }
}
