import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { CursorCodec } from '../domain/cursor.js';
import type { Tokens } from '../tokens.js';
import { emulate, routeName } from './emulator.js';
import { noRoute } from './errors.js';
import { profileNotFound } from '../errors.js';
import { isWellFormedId } from '../ids.js';
import type { KeyResolver } from '../keys.js';
import type { FailureThrottle } from './auth-throttle.js';
import type { Store } from '../store/index.js';
import type { Actor } from '../domain/history.js';
import type { Standing } from '../standing.js';
import type { SecretBox } from '../webhooks/secrets.js';
import { admitPlatformRequest, type PlatformRequest, type Principal } from './platform.js';
import { JsonBody } from './rendered.js';

/** Everything a route may use; built once by the composition root. */
export interface Deps {
  config: Config;
  store: Store;
  keys: KeyResolver;
  /** the budget of failed authentication attempts per client address (API keys and console sign-in) */
  authFailures: FailureThrottle;
  cursors: CursorCodec;
  /** seals and opens the signed tokens of links, console sessions and page forms */
  tokens: Tokens;
  /** every rule's time, per organization (the emulator's test clock moves it) */
  clock: Clock;
  /** every change to programs and enforcement (operator API, console, portal) */
  standing: Standing;
  /** seals and opens webhook signing secrets */
  secrets: SecretBox;
}

export interface PlatformCall extends PlatformRequest {
  request: FastifyRequest;
  reply: FastifyReply;
  deps: Deps;
}

/** One platform API operation: its method, path and handler. The handler returns the 200 body (an object, or JsonBody). */
export interface PlatformRoute {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  /** exists only on the beta surface: without a user-profiles beta value it is an unknown route */
  betaOnly?: boolean;
  handle(call: PlatformCall): Promise<unknown>;
}

export function registerPlatformRoutes(app: FastifyInstance, routes: readonly PlatformRoute[], deps: Deps): void {
  for (const route of routes) {
    const name = routeName(route.method, route.url);
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        const { principal, dialect } = await admitPlatformRequest(request, reply, deps);
        if (route.betaOnly && dialect.beta === null) {
          throw noRoute(request, ' without a user-profiles beta value');
        }
        if (deps.clock.emulated) await emulate(deps, principal.organizationId, name);
        // named fields, not a spread of what admission returned: measured under the retrieve benchmark's load,
        // the spread cost ~7 µs of a ~34 µs request, and ~25 MB of RSS
        const body = await route.handle({ principal, dialect, request, reply, deps });
        if (!(body instanceof JsonBody)) return body;
        reply.header('content-type', 'application/json; charset=utf-8');
        return body.bytes;
      },
    });
  }
}

/** History records platform changes under the key that made them. */
export const actorOf = (principal: Principal): Actor => ({ type: 'platform', id: principal.keyId });

/** The `user_profile_id` path parameter; an id we could never have minted is simply not found (decisions §22). */
export function profileIdParam(request: FastifyRequest): string {
  const id = (request.params as { user_profile_id: string }).user_profile_id;
  if (!isWellFormedId('uprof', id)) throw profileNotFound(id);
  return id;
}
