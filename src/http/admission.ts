import type { FastifyReply, FastifyRequest } from 'fastify';
import { noRoute } from './errors.js';
import { dialectFor } from '../dialects/index.js';
import { authenticationFailed, invalidRequest, permissionDenied } from '../errors.js';
import type { KeyResolver } from '../keys.js';
import type { FailureThrottle } from './auth-throttle.js';
import type { RateLimiter } from './rate-limit.js';
import type { Store } from '../store/index.js';
import type { ResolvedKey } from '../store/tenancy.js';
import type { Api, Call, Deps, GatewayCall, OperatorCall, PlatformCall, Principal, Route } from './route.js';

export const ANTHROPIC_VERSIONS = ['2023-06-01', '2026-10-21'];

/** The beta value that unlocks `/v1/organizations/webhooks*` (contract-2 §2.1). */
export const WEBHOOKS_BETA = 'webhooks-2026-10-07';

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

/** What admission needs: keys, the store for workspaces, and the failed-key budget per address. */
export interface AdmissionDeps {
  store: Store;
  keys: KeyResolver;
  authFailures: FailureThrottle;
  rateLimits: RateLimiter;
}

/**
 * The key step of every admission: the live key a request presents. No key: 401. A key that is unknown or
 * revoked: 401, or 429 once the client's address has spent its budget of failures (http/auth-throttle.ts); a
 * valid key passes whatever that budget.
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

const principalOf = (key: ResolvedKey, workspaceId: string): Principal => ({
  organizationId: key.organizationId,
  workspaceId,
  keyId: key.id,
  role: key.role,
});

/**
 * What every platform-key API (user profiles, organization webhooks) checks first, in order: a live key
 * (401; operator keys see these routes as unknown, decisions §32), the workspace it acts for (decisions §6;
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

/**
 * The User Profiles API: `admitApiKey`, then no admin keys (decisions §32), then the dialect (decisions §1–3);
 * a beta-only route without a user-profiles beta value is an unknown route (decisions §3).
 */
export async function admitPlatform(request: FastifyRequest, reply: FastifyReply, deps: Deps, route: Route<PlatformCall>): Promise<PlatformCall> {
  const { key, workspaceId } = await admitApiKey(request, reply, deps);
  if (key.role === 'admin') throw permissionDenied('Admin API keys cannot call the User Profiles API; use an API key.');
  const dialect = dialectFor(request.headers['anthropic-beta']);
  if (route.betaOnly && dialect.beta === null) throw noRoute(request, ' without a user-profiles beta value');
  return { request, reply, deps, principal: principalOf(key, workspaceId), dialect };
}

/** decisions §1: a comma-separated list; spaces around items are ignored */
export function hasWebhooksBeta(request: FastifyRequest): boolean {
  return (singleHeader(request, 'anthropic-beta') ?? '').split(',').some((item) => item.trim() === WEBHOOKS_BETA);
}

/**
 * Organization webhooks, in order: the beta gate (without `webhooks-2026-10-07` the route does not exist: 404
 * before anything else, indistinguishable from an unknown route — contract-2 §2.1); then `admitApiKey`; then
 * changes need an admin key or an organization-wide key, while a workspace-bound key may only read (decisions §32).
 */
export async function admitWebhooks(request: FastifyRequest, reply: FastifyReply, deps: Deps, route: Route): Promise<Call> {
  if (!hasWebhooksBeta(request)) throw noRoute(request);
  const { key, workspaceId } = await admitApiKey(request, reply, deps);
  if (route.write && key.role === 'platform' && key.workspaceId !== null) {
    throw permissionDenied(
      'This API key is bound to a workspace: it may list and read organization webhooks but not change them. ' +
        'Use an admin key or an organization-wide key.',
    );
  }
  return { request, reply, deps, principal: principalOf(key, workspaceId) };
}

/**
 * The operator API: the key step of `admitApiKey`, then operator keys only: any other key gets the 404 an
 * unknown route gets (decisions §32), so platform keys cannot even learn that these routes exist.
 */
export async function admitOperator(request: FastifyRequest, reply: FastifyReply, deps: Deps): Promise<OperatorCall> {
  const key = await liveKey(request, deps, 'Missing API key: send an operator key as x-api-key or as Authorization: Bearer.');
  if (key.role !== 'operator') throw noRoute(request);
  const principal = principalOf(key, key.defaultWorkspaceId);
  return { request, reply, deps, principal, actor: { type: 'operator', id: key.id } };
}

/**
 * The inference gateway (decisions §39): `admitApiKey`, then no admin keys (they do no inference). Its principal
 * carries the request's id, which the gateway's errored batch results name.
 */
export async function admitGateway(request: FastifyRequest, reply: FastifyReply, deps: Deps): Promise<GatewayCall> {
  const { key, workspaceId } = await admitApiKey(request, reply, deps);
  if (key.role === 'admin') throw permissionDenied('Admin API keys cannot call the Messages API; use an API key.');
  const principal = { organizationId: key.organizationId, workspaceId, keyId: key.id, role: key.role, requestId: request.id };
  return { request, reply, deps, principal };
}

/** The key-authenticated APIs; a new one is an admission and a name (the gateway's is with its routes). */
export const platformApi: Api<PlatformCall> = { name: 'User Profiles', admit: admitPlatform, faults: true };
export const webhooksApi: Api<Call> = { name: 'Organization webhooks', admit: admitWebhooks, faults: true };
/** the organization's clock, never a fault: the provider's controls must answer */
export const operatorApi: Api<OperatorCall> = { name: 'Operator', admit: admitOperator, faults: false };
