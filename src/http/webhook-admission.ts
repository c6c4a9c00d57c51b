import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticationFailed, invalidRequest, notFound, permissionDenied } from '../errors.js';
import type { Store } from '../store/index.js';
import type { ResolvedKey } from '../store/tenancy.js';
import type { OperatorDeps } from './operator.js';
import { ANTHROPIC_VERSIONS, presentedSecret, type Principal } from './platform.js';

/** The beta value that unlocks `/v1/organizations/webhooks*` (P2 §2.1). */
export const WEBHOOKS_BETA = 'webhooks-2026-10-07';

/** Webhook routes need what operator routes need: the store, the clock and the signing-secret box. */
export type WebhookDeps = OperatorDeps;

export interface WebhookCall {
  request: FastifyRequest;
  reply: FastifyReply;
  principal: Principal;
  deps: WebhookDeps;
}

/** One organization-webhooks operation. `write` operations are refused to workspace-bound keys. */
export interface WebhookRoute {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  write: boolean;
  handle(call: WebhookCall): Promise<unknown>;
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

const unknownRoute = (request: FastifyRequest) => notFound(`No route for ${request.method} ${request.url.split('?')[0]}.`);

/** decision 1: a comma-separated list; spaces around items are ignored */
export function hasWebhooksBeta(request: FastifyRequest): boolean {
  return (headerValue(request, 'anthropic-beta') ?? '').split(',').some((item) => item.trim() === WEBHOOKS_BETA);
}

/**
 * The checks every organization-webhooks route runs, in order:
 * 1. the beta gate: without `webhooks-2026-10-07` the route does not exist (404, before anything else, so it
 *    is indistinguishable from an unknown route — P2 §2.1);
 * 2. a live key (401); operator keys get the unknown-route 404 (decision 32);
 * 3. the workspace the key acts for (decision 6), echoed on every later answer;
 * 4. `anthropic-version` (decision 4);
 * 5. changes need an admin key or an organization-wide key; a workspace-bound key may only read (decision 32).
 */
export async function admitWebhookRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: WebhookDeps,
  write: boolean,
): Promise<Principal> {
  if (!hasWebhooksBeta(request)) throw unknownRoute(request);
  const secret = presentedSecret(request);
  if (!secret) throw authenticationFailed('Missing API key: send it as x-api-key or as Authorization: Bearer.');
  const key = await deps.keys.resolve(secret);
  if (!key || key.revokedAt !== null) throw authenticationFailed('invalid x-api-key');
  if (key.role === 'operator') throw unknownRoute(request);

  const workspaceId = await effectiveWorkspace(deps.store, key, headerValue(request, 'anthropic-workspace-id'));
  reply.header('anthropic-workspace-id', workspaceId);

  const version = headerValue(request, 'anthropic-version');
  if (version === undefined) throw invalidRequest('anthropic-version: header is required.');
  if (!ANTHROPIC_VERSIONS.includes(version.trim())) {
    throw invalidRequest(`anthropic-version: ${JSON.stringify(version)} is not a supported version (${ANTHROPIC_VERSIONS.join(', ')}).`);
  }

  if (write && key.role === 'platform' && key.workspaceId !== null) {
    throw permissionDenied(
      'This API key is bound to a workspace: it may list and read organization webhooks but not change them. ' +
        'Use an admin key or an organization-wide key.',
    );
  }
  return { organizationId: key.organizationId, workspaceId, keyId: key.id, role: key.role };
}

/** decision 6 (as platform.ts applies it): a bound key acts for its workspace only, an organization-wide key for any */
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

export function registerWebhookRoutes(app: FastifyInstance, routes: readonly WebhookRoute[], deps: WebhookDeps): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        const principal = await admitWebhookRequest(request, reply, deps, route.write);
        return route.handle({ request, reply, principal, deps });
      },
    });
  }
}
