import type { FastifyReply, FastifyRequest } from 'fastify';
import { dialectFor, type Dialect } from '../dialects/index.js';
import { authenticationFailed, invalidRequest, notFound, permissionDenied } from '../errors.js';
import type { KeyResolver } from '../keys.js';
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

function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * The checks every platform route runs, in order: a live platform key (401), the workspace the key acts
 * for (decision 6; echoed on every later answer, refusals included), `anthropic-version` (decision 4), and
 * the dialect (decisions 1–3).
 */
export async function admitPlatformRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: { store: Store; keys: KeyResolver },
): Promise<PlatformRequest> {
  const secret = presentedSecret(request);
  if (!secret) throw authenticationFailed('Missing API key: send it as x-api-key or as Authorization: Bearer.');
  const key = await deps.keys.resolve(secret);
  if (!key || key.revokedAt !== null) throw authenticationFailed('invalid x-api-key');
  // decision 32: operator keys do not see platform routes at all; admin keys may not use them
  if (key.role === 'operator') throw notFound(`No route for ${request.method} ${request.url.split('?')[0]}.`);
  if (key.role === 'admin') throw permissionDenied('Admin API keys cannot call the User Profiles API; use an API key.');

  const workspaceId = await effectiveWorkspace(deps.store, key, singleHeader(request, 'anthropic-workspace-id'));
  reply.header('anthropic-workspace-id', workspaceId);

  const version = singleHeader(request, 'anthropic-version');
  if (version === undefined) throw invalidRequest('anthropic-version: header is required.');
  if (!ANTHROPIC_VERSIONS.includes(version.trim())) {
    throw invalidRequest(`anthropic-version: ${JSON.stringify(version)} is not a supported version (${ANTHROPIC_VERSIONS.join(', ')}).`);
  }

  return {
    principal: { organizationId: key.organizationId, workspaceId, keyId: key.id, role: key.role },
    dialect: dialectFor(request.headers['anthropic-beta']),
  };
}

/** decision 6: a bound key acts for its workspace only; an organization-wide key for any of its organization's */
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
