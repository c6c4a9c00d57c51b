/**
 * Property-based fuzzing (fast-check) of every route on every engine: random and mutated bodies, headers,
 * query strings and ids against the platform API in all four dialects, the operator API, the webhooks API, and
 * the console and portal pages; and mutated raw HTTP bytes. For every answer:
 * - never a 5xx;
 * - API routes: every error is Anthropic's envelope with a `request-id` header equal to its `request_id`, and
 *   every answer has a `request-id`; pages: an HTML page (or a redirect);
 * - a 4xx changes nothing: the organization's stored state (profiles with history, link tokens, webhook
 *   endpoints and events, session sign-outs) is the same before and after.
 * About 20 s per engine (2,000 requests and 800 raw byte streams); FUZZ_RUNS=N runs N inputs per property instead.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { hashToken } from '../../src/domain/link-token.ts';
import type { MintedKey } from '../../src/keys.ts';
import { exchange, requestBytes } from '../support/raw-http.ts';
import { call } from '../support/server.ts';
import { describeEachEngine } from '../support/suite.ts';
import { ConsoleClient, csrfOf, signedIn } from './console-client.ts';

const RUNS = Number(process.env.FUZZ_RUNS || 0);
const REQUEST_ID = /^req_01[0-9A-Za-z]{22}$/;
const DIALECTS = [null, 'user-profiles-2026-03-24', 'user-profiles-2026-08-18', 'user-profiles-2026-09-04'];
const WEBHOOKS_BETA = 'webhooks-2026-10-07';

/** What the fuzzer aims at: one organization's live objects, and keys that may or may not reach them. */
interface Target {
  organizationId: string;
  platform: MintedKey;
  admin: MintedKey;
  operator: MintedKey;
  /** a key of another organization: its answers about this one must be 404s that change nothing */
  stranger: MintedKey;
  profileIds: string[];
  actionId: string;
  endpointId: string;
  eventId: string;
  linkToken: string;
  /** a Message Batch of the organization (the stub model's) */
  batchId: string;
  console: ConsoleClient;
  consoleCsrf: string;
  portalCsrf: string;
}

type Surface = 'platform' | 'operator' | 'webhooks' | 'console' | 'portal';

interface RouteSpec {
  surface: Surface;
  method: 'GET' | 'POST' | 'DELETE';
  path(t: Target, id: string): string;
  /** a body the route accepts, to mutate */
  body?: (t: Target) => unknown;
}

const P = '/v1/user_profiles';
const OP = '/v1/operator/user_profiles';
const WH = '/v1/organizations/webhooks';
const ROUTES: RouteSpec[] = [
  { surface: 'platform', method: 'POST', path: () => P, body: () => ({ name: 'Fuzz', metadata: { plan: 'pro' }, access_type: 'passthrough', external_user_details: { country: 'DE' } }) },
  { surface: 'platform', method: 'GET', path: (_t, id) => `${P}/${id}` },
  { surface: 'platform', method: 'POST', path: (_t, id) => `${P}/${id}`, body: () => ({ name: 'Renamed', metadata: { plan: '' }, external_id: 'ext-1', relationship: 'resold' }) },
  { surface: 'platform', method: 'GET', path: () => P },
  { surface: 'platform', method: 'DELETE', path: (_t, id) => `${P}/${id}` },
  { surface: 'platform', method: 'POST', path: (_t, id) => `${P}/${id}/action_urls`, body: () => ({ action: { type: 'enroll_end_user' } }) },
  { surface: 'platform', method: 'POST', path: (_t, id) => `${P}/${id}/enrollment_url` },
  { surface: 'operator', method: 'GET', path: () => '/v1/operator/review_queue' },
  { surface: 'operator', method: 'GET', path: (_t, id) => `${OP}/${id}` },
  { surface: 'operator', method: 'GET', path: (_t, id) => `${OP}/${id}/history` },
  { surface: 'operator', method: 'POST', path: (_t, id) => `${OP}/${id}/programs/cyber`, body: () => ({ status: 'active', tiers: { a: { status: 'active', requirements: { data_retention: true } } } }) },
  { surface: 'operator', method: 'POST', path: (_t, id) => `${OP}/${id}/programs/efs`, body: () => ({ status: 'active', features: { cmek: 'active' } }) },
  { surface: 'operator', method: 'POST', path: (_t, id) => `${OP}/${id}/enforcement_actions`, body: () => ({ type: 'restriction', reason: 'fraud_or_abuse', clearable: true }) },
  { surface: 'operator', method: 'POST', path: (t, id) => `${OP}/${id}/enforcement_actions/${t.actionId}/resolve` },
  { surface: 'operator', method: 'POST', path: (t, id) => `${OP}/${id}/enforcement_actions/${t.actionId}/identity_check`, body: () => ({ result: 'passed' }) },
  { surface: 'webhooks', method: 'POST', path: () => WH, body: () => ({ url: 'https://hooks.example.com/x', enabled_events: ['user_profile.created'], name: 'n' }) },
  { surface: 'webhooks', method: 'GET', path: (t) => `${WH}/${t.endpointId}` },
  { surface: 'webhooks', method: 'POST', path: (t) => `${WH}/${t.endpointId}`, body: () => ({ name: 'renamed', state: 'disabled', enabled_events: [] }) },
  { surface: 'webhooks', method: 'GET', path: () => WH },
  { surface: 'webhooks', method: 'DELETE', path: (t) => `${WH}/${t.endpointId}` },
  { surface: 'webhooks', method: 'POST', path: (t) => `${WH}/${t.endpointId}/regenerate_signing_secret` },
  { surface: 'webhooks', method: 'GET', path: (t) => `${WH}/${t.endpointId}/deliveries` },
  { surface: 'webhooks', method: 'POST', path: (t) => `${WH}/${t.endpointId}/deliveries/${t.eventId}/resend` },
  { surface: 'console', method: 'GET', path: () => '/console' },
  { surface: 'console', method: 'GET', path: () => '/console/sign-in' },
  { surface: 'console', method: 'GET', path: () => '/console/profiles' },
  { surface: 'console', method: 'GET', path: (_t, id) => `/console/profiles/${id}` },
  { surface: 'console', method: 'GET', path: () => '/console/webhooks' },
  { surface: 'console', method: 'GET', path: (t) => `/console/webhooks/${t.endpointId}` },
  { surface: 'console', method: 'POST', path: (_t, id) => `/console/profiles/${id}/cyber`, body: (t) => ({ csrf: t.consoleCsrf, status: 'active', tiers: 'a' }) },
  { surface: 'console', method: 'POST', path: (_t, id) => `/console/profiles/${id}/efs`, body: (t) => ({ csrf: t.consoleCsrf, status: 'active' }) },
  { surface: 'console', method: 'POST', path: (_t, id) => `/console/profiles/${id}/actions`, body: (t) => ({ csrf: t.consoleCsrf, type: 'restriction', reason: 'fraud_or_abuse' }) },
  { surface: 'console', method: 'POST', path: (t, id) => `/console/profiles/${id}/actions/${t.actionId}/resolve`, body: (t) => ({ csrf: t.consoleCsrf }) },
  { surface: 'console', method: 'POST', path: (t, id) => `/console/profiles/${id}/actions/${t.actionId}/identity-check`, body: (t) => ({ csrf: t.consoleCsrf, result: 'failed' }) },
  { surface: 'console', method: 'POST', path: (t) => `/console/webhooks/${t.endpointId}/events/${t.eventId}/resend`, body: (t) => ({ csrf: t.consoleCsrf }) },
  { surface: 'portal', method: 'GET', path: (t) => `/portal/enroll?enrollment_token=${t.linkToken}` },
  { surface: 'portal', method: 'POST', path: (t) => `/portal/enroll?enrollment_token=${t.linkToken}`, body: (t) => ({ csrf: t.portalCsrf, form: 'cyber', tier: 'a' }) },
  { surface: 'portal', method: 'GET', path: (t) => `/user-profiles/enrollment/${t.linkToken}` },
  // the inference gateway (the stub model answers: the fuzz server has no UPSTREAM_URL)
  { surface: 'platform', method: 'POST', path: () => '/v1/messages', body: () => ({ model: 'm', max_tokens: 5, stream: false, messages: [{ role: 'user', content: 'Hi' }], billing_policy: { type: 'billing_policy', bill_to: 'self' } }) },
  { surface: 'platform', method: 'POST', path: () => '/v1/messages/count_tokens', body: () => ({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] }) },
  { surface: 'platform', method: 'POST', path: () => '/v1/messages/batches', body: () => ({ requests: [{ custom_id: 'a', params: { model: 'm', max_tokens: 3, messages: [{ role: 'user', content: 'Hi' }] } }] }) },
  { surface: 'platform', method: 'GET', path: () => '/v1/messages/batches' },
  { surface: 'platform', method: 'GET', path: (t) => `/v1/messages/batches/${t.batchId}` },
  { surface: 'platform', method: 'GET', path: (t) => `/v1/messages/batches/${t.batchId}/results` },
  { surface: 'platform', method: 'POST', path: (t) => `/v1/messages/batches/${t.batchId}/cancel` },
  { surface: 'operator', method: 'GET', path: (_t, id) => `${OP}/${id}/usage` },
  { surface: 'operator', method: 'GET', path: () => '/v1/operator/usage' },
  { surface: 'operator', method: 'GET', path: (_t, id) => `${OP}/${id}/budget` },
  { surface: 'operator', method: 'POST', path: (_t, id) => `${OP}/${id}/budget`, body: () => ({ period: 'day', tokens: 1000, notify_at: 0.8 }) },
  { surface: 'operator', method: 'DELETE', path: (_t, id) => `${OP}/${id}/budget` },
  { surface: 'operator', method: 'POST', path: (_t, id) => `${OP}/${id}/billing`, body: () => ({ authorized: true }) },
  { surface: 'operator', method: 'GET', path: () => '/v1/operator/gateway_settings' },
  { surface: 'operator', method: 'POST', path: () => '/v1/operator/gateway_settings', body: () => ({ require_attribution: false }) },
];

const isPage = (surface: Surface) => surface === 'console' || surface === 'portal';

// ---------------------------------------------------------------- arbitraries

/** Text that tends to break things: odd Unicode, JSON-ish fragments, names of prototype members, huge numbers. */
const nasty = fc.constantFrom(
  '', ' ', '\u0000', '\ud800', '\ufeff', '\u202e', '🙂', 'é', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
  'null', 'true', '1e999', '-0', '[]', '{}', '"', '\\', "' OR 1=1 --", '%00', '%ff', '../..', 'a'.repeat(300), 'x'.repeat(5000),
  'active', 'inactive', 'passthrough', 'application', 'resold', 'internal', 'restriction', 'ban', 'passed', 'failed', 'enroll_end_user',
  '2026-01-01T00:00:00Z', '9999-12-31T23:59:59Z', 'DE', 'user_profile.created', 'https://hooks.example.com/y', 'http://127.0.0.1:1/',
);
const text = fc.oneof(nasty, fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }));
const scalar = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(text, tie('value'), { maxKeys: 4 })),
})).value;

/** A valid body with fields replaced, removed or added, at any depth. */
function mutatedObject(base: unknown): fc.Arbitrary<unknown> {
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return fc.oneof(fc.constant(base), value);
  const entries = Object.entries(base);
  const fields = entries.map(([k, v]) => fc.tuple(fc.constant(k), fc.oneof({ weight: 3, arbitrary: mutatedObject(v) }, { weight: 1, arbitrary: fc.constant(undefined) })));
  return fc.tuple(fc.tuple(...fields), fc.dictionary(text, value, { maxKeys: 2 })).map(([kept, extra]) => {
    const result: Record<string, unknown> = {};
    for (const [k, v] of kept) if (v !== undefined) Object.defineProperty(result, k, { value: v, enumerable: true, writable: true, configurable: true });
    for (const [k, v] of Object.entries(extra)) Object.defineProperty(result, k, { value: v, enumerable: true, writable: true, configurable: true });
    return result;
  });
}

/** A body as bytes: a mutated valid body, any JSON, broken text, random bytes, or nothing. */
function bodyBytes(route: RouteSpec, t: Target): fc.Arbitrary<Buffer | undefined> {
  const base = route.body?.(t) ?? {};
  const asJson = (v: unknown) => Buffer.from(JSON.stringify(v) ?? 'null');
  const asText = (x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x) ?? '');
  const asForm = (v: unknown) =>
    Buffer.from(typeof v === 'object' && v !== null ? new URLSearchParams(Object.entries(v).map(([k, x]): [string, string] => [k, asText(x)])).toString() : asText(v));
  const encode = isPage(route.surface) ? asForm : asJson;
  return fc.oneof(
    { weight: 5, arbitrary: mutatedObject(base).map(encode) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }).map((s) => Buffer.from(s)) },
    { weight: 1, arbitrary: fc.tuple(mutatedObject(base).map(encode), fc.nat(), fc.nat(255)).map(([b, at, byte]) => {
      const copy = Buffer.from(b);
      if (copy.length > 0) copy[at % copy.length] = byte;
      return copy;
    }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
  );
}

/** Every UTF-8 byte of `v` percent-encoded (a lone surrogate becomes U+FFFD's bytes). */
const percentEncoded = (v: string) => [...Buffer.from(v, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

/** A query string: the route's own parameters in plain and array forms, random ones, and garbage. */
const QUERY_NAMES = [
  'limit', 'page', 'order', 'order_by', 'enforcement_status', 'after_id', 'before_id', 'beta', 'id', 'after', 'saved', 'done', 'enrollment_token',
  'from', 'to', 'granularity',
];
const queryString = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.tuple(fc.constantFrom(...QUERY_NAMES), fc.constantFrom('', '[]', '[0]', '%5B%5D'), fc.oneof(text, fc.nat(200).map(String))), { maxLength: 4 })
    .map((pairs) => pairs.map(([name, form, v]) => `${name}${form}=${percentEncoded(v)}`).join('&')) },
  { weight: 1, arbitrary: fc.webQueryParameters() },
  { weight: 1, arbitrary: fc.constantFrom('', '%', '%zz', '&&&', '=', 'a=%ff', '__proto__[x]=1', `${'x=1&'.repeat(300)}`) },
);

const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
/** Headers: the key (ours, another organization's, wrong, missing), version, beta, workspace, content-type, each perhaps odd. */
function headerSet(route: RouteSpec, t: Target): fc.Arbitrary<Record<string, string>> {
  const ownKey = route.surface === 'operator' ? t.operator.api_key : route.surface === 'webhooks' ? t.admin.api_key : t.platform.api_key;
  const key = fc.oneof(
    { weight: 8, arbitrary: fc.constant(ownKey) },
    { weight: 1, arbitrary: fc.constantFrom(t.platform.api_key, t.admin.api_key, t.operator.api_key, t.stranger.api_key, 'sk-uprof-api01-wrong', '') },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  const beta = route.surface === 'webhooks'
    ? fc.oneof({ weight: 6, arbitrary: fc.constant(WEBHOOKS_BETA) }, { weight: 1, arbitrary: fc.constantFrom(undefined, `${WEBHOOKS_BETA},user-profiles-2026-08-18`, 'webhooks-2099-01-01') })
    : fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...DIALECTS).map((d) => d ?? undefined) }, { weight: 1, arbitrary: fc.constantFrom('user-profiles-2099-01-01', ',,', 'message-batches-2024-09-24') });
  const contentType = isPage(route.surface)
    ? fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', undefined)
    : fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', undefined);
  return fc.record({
    key,
    version: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('2023-06-01', '2026-10-21') }, { weight: 1, arbitrary: fc.constantFrom(undefined, '', '2099-01-01', 'toString') }),
    beta,
    workspace: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(t.platform.workspace_id, 'wrkspc_x', 'toString', '') }),
    contentType,
    extra: fc.option(fc.tuple(fc.constantFrom('x-fuzz', 'accept', 'accept-encoding', 'cookie', 'authorization', 'sec-fetch-site', 'expect', 'anthropic-user-profile-id'), text), { nil: undefined }),
    profile: fc.option(fc.constantFrom(...t.profileIds), { nil: undefined }),
  }).map(({ key: k, version, beta: b, workspace, contentType: ct, extra, profile }) => {
    const headers: Record<string, string> = {};
    if (k !== undefined) headers['x-api-key'] = k;
    if (version !== undefined) headers['anthropic-version'] = version;
    if (b !== undefined) headers['anthropic-beta'] = b;
    if (workspace !== undefined) headers['anthropic-workspace-id'] = workspace;
    if (ct !== undefined) headers['content-type'] = ct;
    if (profile !== undefined) headers['anthropic-user-profile-id'] = profile;
    if (extra && HEADER_VALUE.test(extra[1]) && extra[0] !== 'expect') headers[extra[0]] = extra[1];
    if (route.surface === 'console') headers.cookie = t.console.cookieHeader();
    return headers;
  });
}

/** The id in a route's path: a live profile, one of another kind, an impossible one, or garbage. */
function pathId(t: Target): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...t.profileIds) },
    { weight: 1, arbitrary: fc.constantFrom(`uprof_01${'A'.repeat(22)}`, t.endpointId, t.actionId, 'toString', '__proto__', '%00', '%E2%82', 'a'.repeat(300)) },
    { weight: 1, arbitrary: fc.webSegment() },
  );
}

// ---------------------------------------------------------------- the suite

/** fc.assert, with the failing check's own message in the error (fast-check keeps it as the cause). */
async function assertProperty<T>(property: fc.IAsyncPropertyWithHooks<T>, runs: number): Promise<void> {
  try {
    await fc.assert(property, { numRuns: runs, endOnFailure: true });
  } catch (error) {
    const cause = (error as Error).cause;
    throw new Error(`${(error as Error).message}\n${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

describeEachEngine('fuzz', (server) => {
  let target: Target;
  const counts = { requests: 0, raw: 0, statuses: new Map<number, number>() };

  after(() => {
    const statuses = [...counts.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
    console.log(`fuzz [${server().engine}]: ${counts.requests + counts.raw} inputs (${counts.requests} requests, ${counts.raw} raw byte streams), 0 failures; statuses ${statuses}`);
  });

  async function setUp(): Promise<Target> {
    const organization = `fuzz-${randomUUID()}`;
    const platform = await server().newKey({ organization });
    const admin = await server().newKey({ organization, role: 'admin' });
    const operator = await server().newKey({ organization, role: 'operator' });
    const stranger = await server().newKey();
    const profileIds: string[] = [];
    for (const name of ['Ada', 'Grace', 'Linus', 'Barbara', 'Edsger', 'Frances']) {
      const created = await call(server(), 'POST', P, { key: platform.api_key, body: { name, metadata: { tier: name.toLowerCase() } } });
      assert.equal(created.status, 200, created.text);
      profileIds.push(created.json.id);
      await call(server(), 'POST', `${P}/${created.json.id}`, { key: platform.api_key, body: { metadata: { seen: 'yes' } } });
    }
    const opened = await call(server(), 'POST', `${OP}/${profileIds[0]}/enforcement_actions`, { key: operator.api_key, body: { type: 'restriction', reason: 'fraud_or_abuse', clearable: true } });
    assert.equal(opened.status, 200, opened.text);
    const hook = await call(server(), 'POST', WH, { key: admin.api_key, headers: { 'anthropic-beta': WEBHOOKS_BETA }, body: { url: 'https://hooks.example.com/fuzz', enabled_events: ['user_profile.created', 'user_profile.updated'] } });
    assert.equal(hook.status, 200, hook.text);
    // an event for the endpoint's log (the worker is idle during the fuzz: see WEBHOOK_POLL_MS below)
    await call(server(), 'POST', P, { key: platform.api_key, body: { name: 'Announced' } });
    const event = await server().store.sql.get<{ id: string }>('SELECT id FROM webhook_events WHERE organization_id = ? ORDER BY id LIMIT 1', [platform.organization_id]);
    assert.ok(event, 'an event');
    const link = await call(server(), 'POST', `${P}/${profileIds[1]}/action_urls`, { key: platform.api_key, body: { action: { type: 'enroll_end_user' } } });
    const linkToken = new URL(link.json.url).searchParams.get('enrollment_token')!;
    const portalPage = await fetch(link.json.url).then((r) => r.text());
    const batch = await call(server(), 'POST', '/v1/messages/batches', { key: platform.api_key, body: { requests: [{ custom_id: 'a', params: { model: 'm', max_tokens: 2, messages: [{ role: 'user', content: 'Hi' }] } }] } });
    assert.equal(batch.status, 200, batch.text);
    const consoleClient = await signedIn(server(), { name: organization, platform, operator });
    const consolePage = await consoleClient.get('/console');
    return {
      organizationId: platform.organization_id, platform, admin, operator, stranger, profileIds, actionId: opened.json.opened_action_id,
      endpointId: hook.json.id, eventId: event.id, linkToken, batchId: batch.json.id, console: consoleClient, consoleCsrf: csrfOf(consolePage.html), portalCsrf: csrfOf(portalPage),
    };
  }

  /** Everything of the organization a request could change. */
  async function snapshot(t: Target) {
    const sql = server().store.sql;
    const of = (table: string, order: string) => sql.all(`SELECT * FROM ${table} WHERE organization_id = ? ORDER BY ${order}`, [t.organizationId]);
    return {
      profiles: await of('user_profiles', 'id'),
      history: await of('profile_history', 'profile_id, id'),
      tokens: await of('url_tokens', 'token_hash'),
      endpoints: await of('webhook_endpoints', 'id'),
      events: await of('webhook_events', 'id'),
      signOuts: await of('console_session_revocations', 'session_id'),
      gatewaySettings: await of('gateway_settings', 'organization_id'),
      budgets: await of('usage_budgets', 'profile_id'),
      // metering is written off the request path (a batch's usage after its results were sent), as the counters are
      batches: (await of('message_batches', 'id')).map(({ metered_at: _metered, ...batch }: any) => batch),
    };
  }

  /**
   * The one write a refusal makes (decisions §39): refusing a restricted profile's request names an action URL as
   * the next step, and that link is a stored token like any action URL's (minted by this refusal or an earlier
   * one: refusals reuse it). Taken out of both readings here, and only that token.
   */
  function withoutRefusalLink(state: Awaited<ReturnType<typeof snapshot>>, body: string) {
    let url: unknown;
    try {
      url = JSON.parse(body)?.error?.details?.action_url;
    } catch {
      return state;
    }
    if (typeof url !== 'string') return state;
    const minted = hashToken(new URL(url).searchParams.get('enrollment_token')!);
    return { ...state, tokens: state.tokens.filter((row: any) => row.token_hash !== minted) };
  }

  /** The state once two readings 25 ms apart agree (a request nobody was answered for may still be running). */
  async function settled(t: Target) {
    let last = await snapshot(t);
    for (let i = 0; i < 50; i++) {
      await sleep(25);
      const next = await snapshot(t);
      if (JSON.stringify(next) === JSON.stringify(last)) return next;
      last = next;
    }
    return last;
  }

  /** The checks every answer must pass. */
  function check(surface: Surface, status: number, headers: Record<string, string>, body: string, what: string): void {
    counts.statuses.set(status, (counts.statuses.get(status) ?? 0) + 1);
    assert.ok(status < 500, `${what} → ${status}: ${body.slice(0, 300)}`);
    if (isPage(surface) && !(headers['content-type'] ?? '').startsWith('application/json')) {
      if (status >= 300 && status < 400 || status === 204) return;
      assert.match(headers['content-type'] ?? '', /^text\/html/, `${what} → ${status} is a page`);
      assert.match(body, /^<!doctype html>/, `${what} → ${status} is a page`);
      return;
    }
    assert.match(headers['request-id'] ?? '', REQUEST_ID, `${what} → ${status}: request-id`);
    if (status >= 400) {
      let json: any;
      try {
        json = JSON.parse(body);
      } catch {
        assert.fail(`${what} → ${status}: not JSON: ${body.slice(0, 200)}`);
      }
      assert.deepEqual(Object.keys(json).sort(), ['error', 'request_id', 'type'], `${what} → ${status}: ${body.slice(0, 300)}`);
      assert.equal(json.type, 'error');
      assert.equal(typeof json.error.type, 'string');
      assert.equal(typeof json.error.message, 'string');
      assert.equal(json.request_id, headers['request-id'], `${what}: request_id matches the header`);
    }
  }

  it('random and mutated requests to every route: no 5xx, the envelope everywhere, a 4xx changes nothing', async () => {
    target = await setUp();
    const t = target;
    let state = await snapshot(t);
    const request = fc
      .constantFrom(...ROUTES)
      .chain((route) => fc.record({ route: fc.constant(route), id: pathId(t), query: queryString, headers: headerSet(route, t), body: bodyBytes(route, t) }));
    await assertProperty(
      fc.asyncProperty(request, async ({ route, id, query, headers, body }) => {
        const path = route.path(t, id);
        const url = `${server().baseURL}${path}${query ? (path.includes('?') ? '&' : '?') + query : ''}`;
        const what = `${route.method} ${url.slice(server().baseURL.length, 200)} ${JSON.stringify(headers).slice(0, 200)} body ${body?.toString('latin1').slice(0, 120)}`;
        const response = await fetch(url, { method: route.method, headers, body: route.method === 'GET' ? undefined : body, redirect: 'manual' });
        const text = await response.text();
        counts.requests++;
        check(route.surface, response.status, Object.fromEntries(response.headers), text, what);
        const now = await snapshot(t);
        if (response.status >= 400) {
          assert.deepEqual(withoutRefusalLink(now, text), withoutRefusalLink(state, text), `${what} → ${response.status} changed stored state: ${text.slice(0, 200)}`);
        }
        state = now;
      }),
      RUNS || 2000,
    );
    // nothing was polluted, and the server still serves
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
    assert.equal((await call(server(), 'GET', P, { key: t.platform.api_key })).status, 200);
  });

  it('mutated raw HTTP bytes: every answer is < 500 and in the envelope (or a page), and a 4xx changes nothing', async () => {
    const t = target;
    let state = await snapshot(t);
    const mutation = fc.record({ op: fc.constantFrom('flip', 'insert', 'delete', 'truncate', 'duplicate'), at: fc.nat(), byte: fc.constantFrom(0, 9, 10, 13, 32, 58, 127, 128, 255, 0x30, 0x7b) });
    const input = fc
      .constantFrom(...ROUTES.filter((r) => !isPage(r.surface)))
      .chain((route) => fc.record({ route: fc.constant(route), headers: headerSet(route, t), body: bodyBytes(route, t), mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }) }));
    await assertProperty(
      fc.asyncProperty(input, async ({ route, headers, body, mutations }) => {
        const payload = route.method === 'GET' ? Buffer.alloc(0) : body ?? Buffer.alloc(0);
        let bytes = requestBytes(route.method, route.path(t, t.profileIds[2]), { ...headers, 'content-length': String(payload.length), connection: 'close' }, payload);
        for (const { op, at, byte } of mutations) {
          const i = at % (bytes.length + 1);
          if (op === 'flip' && i < bytes.length) bytes[i] = byte;
          else if (op === 'insert') bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
          else if (op === 'delete') bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
          else if (op === 'truncate') bytes = bytes.subarray(0, i);
          else if (op === 'duplicate') bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i)]);
        }
        // the request ends where the bytes end (half-close), so an incomplete one is answered at once, not after a timeout
        const { responses } = await exchange(server().baseURL, bytes, { end: true, timeoutMs: 15_000 });
        counts.raw++;
        const what = `raw ${JSON.stringify(bytes.toString('latin1').slice(0, 300))}`;
        for (const response of responses) check(route.surface, response.status, response.headers, response.body, what);
        // a duplicated stretch may hold a second request that Node still runs after answering the first with
        // `connection: close` (its answer is never sent): only a single request's 4xx can be held to "changed
        // nothing", and after the others the state is read once it has settled
        const single = !mutations.some((m) => m.op === 'duplicate') && responses.length === 1;
        const now = single ? await snapshot(t) : await settled(t);
        if (single && responses[0].status >= 400) assert.deepEqual(now, state, `${what} → ${responses[0].status} changed stored state`);
        state = now;
      }),
      RUNS || 800,
    );
    assert.equal((await call(server(), 'GET', P, { key: t.platform.api_key })).status, 200);
  });
}, { WEBHOOK_POLL_MS: '600000' });
