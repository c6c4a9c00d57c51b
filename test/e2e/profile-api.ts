/**
 * Shared helpers for the user-profile end-to-end tests: the four dialects (API versions), the official SDK
 * that speaks each one, raw HTTP per dialect, and the shape / error assertions every test file uses.
 * Not a test file itself (the runner only picks up `*.test.ts`).
 */
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import Anthropic0107 from 'sdk0107';
import { call, type RawResponse, type TestServer } from '../support/server.ts';

export type Dialect = '03-24' | '08-18' | '09-04' | 'ga';
export const DIALECTS: readonly Dialect[] = ['03-24', '08-18', '09-04', 'ga'];
export const BETA_DIALECTS: readonly Dialect[] = ['03-24', '08-18', '09-04'];

/** the `anthropic-beta` value that selects each dialect (`null`: the GA surface, no user-profiles value) */
export const BETA_HEADER: Record<Dialect, string | null> = {
  '03-24': 'user-profiles-2026-03-24',
  '08-18': 'user-profiles-2026-08-18',
  '09-04': 'user-profiles-2026-09-04',
  ga: null,
};

const COMMON_KEYS = ['id', 'type', 'name', 'metadata', 'created_at', 'updated_at'];
/** api-contract.md §4.3 and decisions §30: every key of the dialect's shape, always present */
export const PROFILE_KEYS: Record<Dialect, readonly string[]> = {
  '03-24': [...COMMON_KEYS, 'relationship', 'external_id', 'trust_grants'].sort(),
  '08-18': [...COMMON_KEYS, 'access_type', 'external_id', 'external_user_onboarded_at', 'trust_grants'].sort(),
  '09-04': [...COMMON_KEYS, 'access_type', 'external_user_details', 'trust_grants'].sort(),
  ga: [...COMMON_KEYS, 'access_type', 'external_user_details', 'programs', 'enforcement_status', 'enforcement_actions'].sort(),
};
export const DETAIL_KEYS = ['account_status', 'country', 'email_hash', 'entity_type', 'name_hash', 'onboarded_at', 'reference_id'];

export const PROFILE_ID = /^uprof_01[0-9A-Za-z]{22}$/;
export const REQUEST_ID = /^req_01[0-9A-Za-z]{22}$/;
/** RFC 3339 in UTC with `Z` (decisions §14) */
export const TIMESTAMP_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export const ENROLL = { action: { type: 'enroll_end_user' as const } };

export const sortedKeys = (value: object) => Object.keys(value).sort();

/** A string of exactly `n` Unicode code points, half of them astral (two UTF-16 units each). */
export function codePoints(n: number): string {
  return Array.from({ length: n }, (_, i) => (i % 2 ? '😀' : 'x')).join('');
}

const nullOr = (value: unknown, check: (v: any) => void) => {
  if (value !== null) check(value);
};
const isTimestamp = (value: unknown) => assert.match(value as string, TIMESTAMP_Z);

/** The exact key set and the value domains of a profile object under `dialect`. */
export function assertProfileShape(profile: any, dialect: Dialect): void {
  assert.deepEqual(sortedKeys(profile), PROFILE_KEYS[dialect], `profile keys under ${dialect}`);
  assert.equal(profile.type, 'user_profile');
  assert.match(profile.id, PROFILE_ID);
  isTimestamp(profile.created_at);
  isTimestamp(profile.updated_at);
  assert.ok(Date.parse(profile.updated_at) >= Date.parse(profile.created_at), 'updated_at >= created_at');
  nullOr(profile.name, (name) => assert.equal(typeof name, 'string'));
  assert.equal(typeof profile.metadata, 'object');
  for (const value of Object.values(profile.metadata)) assert.equal(typeof value, 'string');
  switch (dialect) {
    case '03-24':
      assert.ok(['external', 'resold', 'internal'].includes(profile.relationship), `relationship ${profile.relationship}`);
      nullOr(profile.external_id, (v) => assert.equal(typeof v, 'string'));
      break;
    case '08-18':
      assert.ok(['application', 'passthrough'].includes(profile.access_type), `access_type ${profile.access_type}`);
      nullOr(profile.external_id, (v) => assert.equal(typeof v, 'string'));
      nullOr(profile.external_user_onboarded_at, isTimestamp);
      break;
    default:
      assert.ok(['application', 'passthrough'].includes(profile.access_type), `access_type ${profile.access_type}`);
      assert.deepEqual(sortedKeys(profile.external_user_details), DETAIL_KEYS);
      nullOr(profile.external_user_details.onboarded_at, isTimestamp);
  }
  if (dialect === 'ga') {
    // nothing in these tests grants programs or opens enforcement actions
    assert.deepEqual(profile.programs, { cyber: null, efs: null });
    assert.equal(profile.enforcement_status, 'unrestricted');
    assert.deepEqual(profile.enforcement_actions, []);
  } else {
    assert.deepEqual(profile.trust_grants, {});
  }
}

/** `{type, url, expires_at}` of an enrollment or action URL, expiring `ttlMs` after `mintedAt` (decisions §21). */
export function assertLink(link: any, type: string, server: TestServer, mintedAt: number, ttlMs: number): void {
  assert.deepEqual(sortedKeys(link), ['expires_at', 'type', 'url']);
  assert.equal(link.type, type);
  assert.ok(link.url.startsWith(server.baseURL + '/'), `url ${link.url} points at this server`);
  isTimestamp(link.expires_at);
  const expires = Date.parse(link.expires_at);
  assert.ok(Math.abs(expires - (mintedAt + ttlMs)) < 5_000, `expires_at ${link.expires_at} ≈ minted + ${ttlMs} ms`);
}

// ---------------------------------------------------------------------------------------------------------
// The official SDKs, one dialect each

type Fetch = typeof fetch;
export interface SdkOptions {
  /** a fetch wrapper, to see what the SDK really sends */
  fetch?: Fetch;
}

export function currentClient(server: TestServer, apiKey: string, options: SdkOptions = {}) {
  return new Anthropic({ apiKey, baseURL: server.baseURL, maxRetries: 0, ...(options.fetch ? { fetch: options.fetch } : {}) });
}

export function oldClient(server: TestServer, apiKey: string, options: SdkOptions = {}) {
  return new Anthropic0107({ apiKey, baseURL: server.baseURL, maxRetries: 0, ...(options.fetch ? { fetch: options.fetch } : {}) });
}

type Body = Record<string, unknown>;
interface WithResponse<T> {
  withResponse(): Promise<{ data: T; response: Response }>;
}

/** Awaits an SDK call, checks the HTTP status was exactly 200, returns the parsed body. */
export async function ok<T>(promise: WithResponse<T>): Promise<T> {
  const { data, response } = await promise.withResponse();
  assert.equal(response.status, 200);
  return data;
}

async function page(promise: WithResponse<{ data: unknown[]; next_page: string | null }>) {
  const { data, next_page } = await ok(promise);
  return { data: data as any[], next_page };
}

/**
 * One dialect spoken through the SDK that speaks it: GA = client.userProfiles (SDK 1.14), 08-18 =
 * client.beta.userProfiles (its default beta), 09-04 = the same with `betas: ['user-profiles-2026-09-04']`,
 * 03-24 = SDK 0.107's client.beta.userProfiles. Every call asserts HTTP 200 and returns the body.
 * An operation the SDK does not have is absent.
 */
export interface SdkProfiles {
  dialect: Dialect;
  create(body?: Body): Promise<any>;
  retrieve(id: string): Promise<any>;
  update(id: string, body: Body): Promise<any>;
  list(query?: Body): Promise<{ data: any[]; next_page: string | null }>;
  delete?(id: string): Promise<any>;
  enrollmentUrl?(id: string): Promise<any>;
  actionUrl?(id: string): Promise<any>;
}

export function sdkProfiles(server: TestServer, apiKey: string, dialect: Dialect, options: SdkOptions = {}): SdkProfiles {
  const any = (body: unknown) => body as any; // the SDK sends bodies as given; tests decide what is valid
  if (dialect === 'ga') {
    const r = currentClient(server, apiKey, options).userProfiles;
    return {
      dialect,
      create: (body = {}) => ok(r.create(any(body))),
      retrieve: (id) => ok(r.retrieve(id)),
      update: (id, body) => ok(r.update(id, any(body))),
      list: (query = {}) => page(r.list(any(query))),
      delete: (id) => ok(r.delete(id)),
      actionUrl: (id) => ok(r.actionURLs.create(id, ENROLL)),
    };
  }
  if (dialect === '03-24') {
    const r = oldClient(server, apiKey, options).beta.userProfiles;
    return {
      dialect,
      create: (body = {}) => ok(r.create(any(body))),
      retrieve: (id) => ok(r.retrieve(id)),
      update: (id, body) => ok(r.update(id, any(body))),
      list: (query = {}) => page(r.list(any(query))),
      enrollmentUrl: (id) => ok(r.createEnrollmentURL(id)),
    };
  }
  const r = currentClient(server, apiKey, options).beta.userProfiles;
  const betas = dialect === '09-04' ? { betas: ['user-profiles-2026-09-04'] } : {};
  return {
    dialect,
    create: (body = {}) => ok(r.create(any({ ...body, ...betas }))),
    retrieve: (id) => ok(r.retrieve(id, betas)),
    update: (id, body) => ok(r.update(id, any({ ...body, ...betas }))),
    list: (query = {}) => page(r.list(any({ ...query, ...betas }))),
    delete: (id) => ok(r.delete(id, betas)),
    enrollmentUrl: (id) => ok(r.createEnrollmentURL(id, betas)),
    actionUrl: (id) => ok(r.actionURLs.create(id, { ...ENROLL, ...betas })),
  };
}

const SDK_ERROR_CLASSES: Record<number, string> = {
  400: 'BadRequestError',
  401: 'AuthenticationError',
  403: 'PermissionDeniedError',
  404: 'NotFoundError',
};

/**
 * Awaits an SDK call that must fail with `status` / `type` in Anthropic's envelope; returns the SDK error.
 * (Accepts either SDK's error class of that status.)
 */
export async function expectSdkError(promise: Promise<unknown>, status: number, type: string): Promise<any> {
  const error: any = await promise.then(
    (value) => assert.fail(`expected ${status} ${type}, got success: ${JSON.stringify(value)}`),
    (e) => e,
  );
  const className = SDK_ERROR_CLASSES[status];
  assert.ok(
    error instanceof (Anthropic as any)[className] || error instanceof (Anthropic0107 as any)[className],
    `expected ${className}, got ${error?.constructor?.name}: ${error?.message}`,
  );
  assert.equal(error.status, status);
  assert.equal(error.error?.type, 'error');
  assert.equal(error.error?.error?.type, type);
  assert.equal(typeof error.error?.error?.message, 'string');
  assert.match(error.error?.request_id, REQUEST_ID);
  assert.equal(error.requestID, error.error.request_id, 'request-id header equals request_id');
  return error;
}

// ---------------------------------------------------------------------------------------------------------
// Raw HTTP, for bodies the SDK types would not let us send and for envelopes

export interface RawProfiles {
  dialect: Dialect;
  create(body: unknown): Promise<RawResponse>;
  createRaw(text: string): Promise<RawResponse>;
  retrieve(id: string): Promise<RawResponse>;
  update(id: string, body: unknown): Promise<RawResponse>;
  updateRaw(id: string, text: string): Promise<RawResponse>;
  list(query?: string): Promise<RawResponse>;
  delete(id: string): Promise<RawResponse>;
  enrollmentUrl(id: string): Promise<RawResponse>;
  actionUrl(id: string, body?: unknown): Promise<RawResponse>;
}

export function rawProfiles(server: TestServer, apiKey: string, dialect: Dialect): RawProfiles {
  const beta = BETA_HEADER[dialect];
  const headers: Record<string, string> = beta ? { 'anthropic-beta': beta } : {};
  const send = (method: string, path: string, options: { body?: unknown; rawBody?: string } = {}) =>
    call(server, method, `/v1/user_profiles${path}`, { key: apiKey, headers, ...options });
  return {
    dialect,
    create: (body) => send('POST', '', { body }),
    createRaw: (text) => send('POST', '', { rawBody: text }),
    retrieve: (id) => send('GET', `/${id}`),
    update: (id, body) => send('POST', `/${id}`, { body }),
    updateRaw: (id, text) => send('POST', `/${id}`, { rawBody: text }),
    list: (query = '') => send('GET', query),
    delete: (id) => send('DELETE', `/${id}`),
    enrollmentUrl: (id) => send('POST', `/${id}/enrollment_url`),
    actionUrl: (id, body = ENROLL) => send('POST', `/${id}/action_urls`, { body }),
  };
}

/** A raw response that is an error in Anthropic's envelope, with a `request-id` header equal to request_id. */
export function assertApiError(res: RawResponse, status: number, type: string, mention?: string | RegExp): void {
  assert.equal(res.status, status, `status (body: ${res.text})`);
  assert.ok(res.json, `JSON error body, got ${res.text}`);
  assert.deepEqual(sortedKeys(res.json), ['error', 'request_id', 'type']);
  assert.equal(res.json.type, 'error');
  assert.equal(res.json.error.type, type);
  assert.equal(typeof res.json.error.message, 'string');
  assert.match(res.json.request_id, REQUEST_ID);
  assert.equal(res.headers.get('request-id'), res.json.request_id);
  if (mention instanceof RegExp) assert.match(res.json.error.message, mention);
  else if (mention !== undefined) {
    assert.ok(res.json.error.message.includes(mention), `message ${JSON.stringify(res.json.error.message)} names ${mention}`);
  }
}

/** A raw 200 response; returns its body. */
export function assertOk(res: RawResponse): any {
  assert.equal(res.status, 200, `status (body: ${res.text})`);
  return res.json;
}

// ---------------------------------------------------------------------------------------------------------
// Seeing what an SDK really sends

export interface SentRequest {
  method: string;
  url: URL;
  headers: Headers;
}

/** A `fetch` that records every request before passing it on. */
export function recordingFetch(): { fetch: Fetch; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const recording: Fetch = async (input, init) => {
    const request = new Request(input, init);
    sent.push({ method: request.method, url: new URL(request.url), headers: request.headers });
    return fetch(input, init);
  };
  return { fetch: recording, sent };
}

/** A profile's fields as every dialect shows them: the part that must agree across versions. */
export function sharedView(profile: any) {
  const { id, type, name, metadata, created_at, updated_at } = profile;
  return { id, type, name, metadata, created_at, updated_at };
}
