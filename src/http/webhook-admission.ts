import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { emulate, routeName } from './emulator.js';
import { noRoute } from './errors.js';
import { permissionDenied } from '../errors.js';
import type { Deps } from './route.js';
import { admitApiKey, singleHeader, type Principal } from './platform.js';

/** The beta value that unlocks `/v1/organizations/webhooks*` (contract-2 §2.1). */
export const WEBHOOKS_BETA = 'webhooks-2026-10-07';


export interface WebhookCall {
  request: FastifyRequest;
  reply: FastifyReply;
  principal: Principal;
  deps: Deps;
}

/** One organization-webhooks operation. `write` operations are refused to workspace-bound keys. */
export interface WebhookRoute {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  write: boolean;
  handle(call: WebhookCall): Promise<unknown>;
}

/** decisions §1: a comma-separated list; spaces around items are ignored */
export function hasWebhooksBeta(request: FastifyRequest): boolean {
  return (singleHeader(request, 'anthropic-beta') ?? '').split(',').some((item) => item.trim() === WEBHOOKS_BETA);
}

/**
 * The checks every organization-webhooks route runs, in order: the beta gate (without `webhooks-2026-10-07`
 * the route does not exist: 404 before anything else, indistinguishable from an unknown route — contract-2 §2.1);
 * then `admitApiKey` (key, workspace, anthropic-version); then changes need an admin key or an
 * organization-wide key, while a workspace-bound key may only read (decisions §32).
 */
export async function admitWebhookRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: Deps,
  write: boolean,
): Promise<Principal> {
  if (!hasWebhooksBeta(request)) throw noRoute(request);
  const { key, workspaceId } = await admitApiKey(request, reply, deps);
  if (write && key.role === 'platform' && key.workspaceId !== null) {
    throw permissionDenied(
      'This API key is bound to a workspace: it may list and read organization webhooks but not change them. ' +
        'Use an admin key or an organization-wide key.',
    );
  }
  return { organizationId: key.organizationId, workspaceId, keyId: key.id, role: key.role };
}

export function registerWebhookRoutes(app: FastifyInstance, routes: readonly WebhookRoute[], deps: Deps): void {
  for (const route of routes) {
    const name = routeName(route.method, route.url);
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        const principal = await admitWebhookRequest(request, reply, deps, route.write);
        if (deps.clock.emulated) await emulate(deps, principal.organizationId, name);
        if (await deps.idempotency.begin(request, reply, principal)) return reply;
        return route.handle({ request, reply, principal, deps });
      },
    });
  }
}
