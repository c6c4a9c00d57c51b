import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Contract } from '../contract/route-contract.js';
import type { CursorCodec } from '../domain/cursor.js';
import type { Dialect } from '../dialects/index.js';
import type { Tokens } from '../tokens.js';
import type { Actor } from '../domain/history.js';
import type { KeyResolver } from '../keys.js';
import type { Standing } from '../standing.js';
import type { Store } from '../store/index.js';
import type { KeyRole } from '../store/tenancy.js';
import type { SecretBox } from '../webhooks/secrets.js';
import type { Caller, Gateway } from '../gateway/index.js';
import type { FailureThrottle } from './auth-throttle.js';
import type { Idempotency } from './idempotency.js';
import type { RateLimiter } from './rate-limit.js';
import { emulate, routeName } from './emulator.js';
import { JsonBody } from './rendered.js';

/** Everything a route may use; built once by the composition root. */
export interface Deps {
  config: Config;
  store: Store;
  keys: KeyResolver;
  /** the budget of failed authentication attempts per client address (API keys and console sign-in) */
  authFailures: FailureThrottle;
  /** requests per key (token buckets, in Redis or in this process) */
  rateLimits: RateLimiter;
  /** Idempotency-Key on POSTs: claims and kept answers */
  idempotency: Idempotency;
  cursors: CursorCodec;
  /** seals and opens the signed tokens of links, console sessions and page forms */
  tokens: Tokens;
  /** every rule's time, per organization (the emulator's test clock moves it) */
  clock: Clock;
  /** every change to programs and enforcement (operator API, console, portal) */
  standing: Standing;
  /** seals and opens webhook signing secrets */
  secrets: SecretBox;
  /** the inference gateway: attribution, forwarding or the stub model, metering (src/gateway/) */
  gateway: Gateway;
}

/** Who is calling: every data access below the routes takes `organizationId` from here. */
export interface Principal {
  organizationId: string;
  workspaceId: string;
  keyId: string;
  role: KeyRole;
}

/**
 * What a handler receives: the request, and what its API's admission found. Each admission builds this object
 * itself, once, with named fields: measured under the retrieve benchmark's load, spreading an admission result
 * into a second object cost ~7 µs of a ~34 µs request, and ~25 MB of RSS.
 */
export interface Call {
  request: FastifyRequest;
  reply: FastifyReply;
  deps: Deps;
  principal: Principal;
}

/** The User Profiles API's call: the dialect its `anthropic-beta` header selects (decisions §1–3). */
export interface PlatformCall extends Call {
  dialect: Dialect;
}

/** The operator API's call: its changes are recorded under the operator key. */
export interface OperatorCall extends Call {
  actor: Actor;
}

/** The inference gateway's call: its principal is also the gateway's caller (with the request's id: src/gateway/). */
export interface GatewayCall extends Call {
  principal: Principal & Caller;
}

type Method = 'GET' | 'POST' | 'DELETE';

/**
 * One operation of a key-authenticated API: its method, path, contract (what it takes and answers: the
 * OpenAPI document and the tests' response guard read it) and handler. The handler returns the 200 body
 * (an object, or JsonBody), or the `reply` once it has sent the answer itself (a stream, an upstream's answer
 * relayed: the gateway's routes). `betaOnly` and `write` are read by the admissions that know them.
 */
export interface Route<C extends Call = Call> {
  method: Method;
  url: string;
  contract: Contract;
  /** User Profiles: exists only on the beta surface; without a user-profiles beta value it is an unknown route */
  betaOnly?: boolean;
  /** organization webhooks: a change, refused to workspace-bound keys (decisions §32) */
  write?: boolean;
  /**
   * false: a POST without the `Idempotency-Key` step (and the document offers no such header), for a route whose
   * answer may be a stream, which cannot be kept and replayed (decisions §51)
   */
  idempotencyKey?: false;
  handle(call: C): Promise<unknown>;
}

/**
 * A step every route of an API runs after admission and before its handler (a fault under the emulator, a kept
 * idempotent answer…). It resolves to true when it has answered the request itself: the handler then does not run.
 */
export type Step<C extends Call> = (call: C, route: Route<C>) => Promise<boolean | void> | boolean | void;

/**
 * A key-authenticated API. Its routes differ from another API's only here: the admission step, which checks the
 * request (key, role, headers) and builds the call its handlers receive, and the steps that follow it.
 */
export interface Api<C extends Call> {
  /** the OpenAPI tag of its routes */
  name: string;
  admit(request: FastifyRequest, reply: FastifyReply, deps: Deps, route: Route<C>): Promise<C>;
  /** whether the emulator's forced faults may answer for its routes (never the operator's controls: decisions §38) */
  faults: boolean;
  /** run in order after admission, on every route of the API */
  steps?: readonly Step<C>[];
  /** the largest body its routes take, in bytes, when it is not the server's (BODY_LIMIT) */
  bodyLimit?: number;
}

/** What a route's Fastify `config` carries: hooks (the tests' response guard) find its contract there. */
export interface RouteConfig {
  api: string;
  contract: Contract;
}

/** Under the emulator: the organization's clock, and for APIs that allow them, an armed fault (emulator.ts). */
function emulatorStep<C extends Call>(faults: boolean): Step<C> {
  return (call, route) => emulate(call.deps, call.principal.organizationId, faults ? routeName(route.method, route.url) : null);
}

/** `Idempotency-Key` on a POST: a kept answer replayed, or the key claimed for this request (http/idempotency.ts). */
const idempotencyStep: Step<Call> = (call) => call.deps.idempotency.begin(call.request, call.reply, call.principal);

/**
 * The one registrar of every key-authenticated API. Every POST of every API takes `Idempotency-Key` (unless the
 * route says otherwise); reads go without that step (no await on their hot path). Bodies are read by the
 * server's JSON parser (http/json-body.ts), which keeps their bytes as `request.bodyBytes`.
 */
export function registerRoutes<C extends Call>(app: FastifyInstance, api: Api<C>, routes: readonly Route<C>[], deps: Deps): void {
  const steps: readonly Step<C>[] = [...(deps.clock.emulated ? [emulatorStep<C>(api.faults)] : []), ...(api.steps ?? [])];
  for (const route of routes) {
    const routeSteps = route.method === 'POST' && route.idempotencyKey !== false ? [...steps, idempotencyStep as Step<C>] : steps;
    const config: RouteConfig = { api: api.name, contract: route.contract };
    app.route({
      method: route.method,
      url: route.url,
      bodyLimit: api.bodyLimit,
      config,
      handler: async (request, reply) => {
        const call = await api.admit(request, reply, deps, route);
        // a step may answer the request itself (a kept idempotent answer): then the handler does not run
        for (let i = 0; i < routeSteps.length; i++) if (await routeSteps[i](call, route)) return reply;
        const body = await route.handle(call);
        if (!(body instanceof JsonBody)) return body;
        reply.header('content-type', 'application/json; charset=utf-8');
        return body.bytes;
      },
    });
  }
}

/** History records platform changes under the key that made them. */
export const actorOf = (principal: Principal): Actor => ({ type: 'platform', id: principal.keyId });
