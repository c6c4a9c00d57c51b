import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../domain/history.js';
import { noRoute } from './errors.js';
import { liveKey, type AdmissionDeps, type Principal } from './platform.js';
import type { Deps } from './route.js';

export interface OperatorCall {
  request: FastifyRequest;
  reply: FastifyReply;
  principal: Principal;
  actor: Actor;
  deps: Deps;
}

/** One operator API operation (JSON, operator keys only). */
export interface OperatorRoute {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  handle(call: OperatorCall): Promise<unknown>;
}

/**
 * Operator keys only: any other key gets the 404 an unknown route gets (decisions §32), so platform keys
 * cannot even learn that these routes exist.
 */
export async function admitOperator(request: FastifyRequest, deps: Omit<AdmissionDeps, 'store'>): Promise<Principal> {
  const key = await liveKey(request, deps, 'Missing API key: send an operator key as x-api-key or as Authorization: Bearer.');
  if (key.role !== 'operator') throw noRoute(request);
  return { organizationId: key.organizationId, workspaceId: key.defaultWorkspaceId, keyId: key.id, role: key.role };
}

export function registerOperatorRoutes(app: FastifyInstance, routes: readonly OperatorRoute[], deps: Deps): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        const principal = await admitOperator(request, deps);
        return route.handle({ request, reply, principal, actor: { type: 'operator', id: principal.keyId }, deps });
      },
    });
  }
}
