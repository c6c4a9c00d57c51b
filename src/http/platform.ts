import type { FastifyReply, FastifyRequest } from 'fastify';
import { noRoute } from './errors.js';
import { dialectFor, type Dialect } from '../dialects/index.js';
import { authenticationFailed, invalidRequest, permissionDenied } from '../errors.js';
import type { KeyResolver } from '../keys.js';
import type { FailureThrottle } from './auth-throttle.js';
import type { RateLimiter } from './rate-limit.js';
import type { Store } from '../store/index.js';
import type { KeyRole, ResolvedKey } from '../store/tenancy.js';

/** Who is calling: every data access below the routes takes `organizationId` from here. */
export interface Principal {
  organizationId: string;
  workspaceId: string;
  keyId: string;
  role: KeyRole;
}

/** What a platform route knows about its request once the checks below have passed. */
export interface PlatformRequest {
  principal: Principal;
  dialect: Dialect;
}

export const ANTHROPIC_VERSIONS = ['2023-06-01', '2026-10-21'];

export function presentedSecret(request: FastifyRequest): string | null {
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  return null;
}

/** What admission needs: keys, the store for workspaces, the failed-key budget per address, each key's rate limit. */
export interface AdmissionDeps {
  store: Store;
  keys: KeyResolver;
  authFailures: FailureThrottle;
  rateLimits: RateLimiter;
}

/**
 * The live key a request presents. No key: 401. A key that is unknown or revoked: 401, or 429 once the client's
 * address has spent its budget of failures (http/auth-throttle.ts); a valid key passes whatever that budget, and
 * then spends one request of its rate limit (http/rate-limit.ts: 429 when it has none left).
 */
export async function liveKey(request: FastifyRequest, deps: Omit<AdmissionDeps, 'store'>, missing: string): Promise<ResolvedKey> {
  const secret = presentedSecret(request);
  if (!secret) throw authenticationFailed(missing);
  const key = await deps.keys.resolve(secret);
  if (!key || key.revokedAt !== null) throw deps.authFailures.fail(request.ip, authenticationFailed('invalid x-api-key'));
  // the request's log line names the key that made it
  request.keyId = key.id;
  // the key's rate limit, before anything else it asks for (a 429 once its bucket is empty)
  const limited = deps.rateLimits.admit(request, key);
  if (limited) await limited;
  return key;
}

export function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * What every key-authenticated API (user profiles, organization webhooks) checks first, in order: a live
 * key (401; operator keys see these routes as unknown, decisions §32), the workspace it acts for (decisions §6;
 * echoed on every later answer, refusals included), and `anthropic-version` (decisions §4).
 */
export async function admitApiKey(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: AdmissionDeps,
): Promise<{ key: ResolvedKey; workspaceId: string }> {
  const key = await liveKey(request, deps, 'Missing API key: send it as x-api-key or as Authorization: Bearer.');
  if (key.role === 'operator') throw noRoute(request);

  const workspaceId = await effectiveWorkspace(deps.store, key, singleHeader(request, 'anthropic-workspace-id'));
  reply.header('anthropic-workspace-id', workspaceId);

  const version = singleHeader(request, 'anthropic-version');
  if (version === undefined) throw invalidRequest('anthropic-version: header is required.');
  if (!ANTHROPIC_VERSIONS.includes(version.trim())) {
    throw invalidRequest(`anthropic-version: ${JSON.stringify(version)} is not a supported version (${ANTHROPIC_VERSIONS.join(', ')}).`);
  }
  return { key, workspaceId };
}

/** The User Profiles API: `admitApiKey`, then no admin keys (decisions §32), then the dialect (decisions §1–3). */
export async function admitPlatformRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: AdmissionDeps,
): Promise<PlatformRequest> {
  const { key, workspaceId } = await admitApiKey(request, reply, deps);
  if (key.role === 'admin') throw permissionDenied('Admin API keys cannot call the User Profiles API; use an API key.');
  return {
    principal: { organizationId: key.organizationId, workspaceId, keyId: key.id, role: key.role },
    dialect: dialectFor(request.headers['anthropic-beta']),
  };
}

/** decisions §6: a bound key acts for its workspace only; an organization-wide key for any of its organization's */
async function effectiveWorkspace(store: Store, key: ResolvedKey, requested: string | undefined): Promise<string> {
  const asked = requested?.trim();
  if (key.workspaceId !== null) {
    if (asked && asked !== key.workspaceId) throw permissionDenied(`This API key may not act for workspace ${JSON.stringify(asked)}.`);
    return key.workspaceId;
  }
  if (!asked || asked === key.defaultWorkspaceId) return key.defaultWorkspaceId;
  const workspace = await store.tenancy.workspace(key.organizationId, asked);
  if (!workspace) throw permissionDenied(`This API key may not act for workspace ${JSON.stringify(asked)}.`);
  return workspace.id;
}
