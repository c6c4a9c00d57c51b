import { createHmac } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { CursorCodec } from './domain/cursor.js';
import { newId } from './ids.js';
import { KeyResolver } from './keys.js';
import { notFound } from './errors.js';
import { errorHandler, notFoundHandler, sendError } from './http/errors.js';
import { answerClientError, answerWhileClosing, ConnectionCap, requireHost } from './http/edge.js';
import { acceptJson } from './http/json-body.js';
import { FailureThrottle } from './http/auth-throttle.js';
import { redactUrl } from './http/redact.js';
import { registerPlatformRoutes, type Deps } from './http/route.js';
import { userProfileRoutes } from './http/routes/user-profiles/index.js';
import { registerOperatorRoutes } from './http/operator.js';
import { operatorRoutes } from './http/routes/operator/index.js';
import { registerWebhookRoutes } from './http/webhook-admission.js';
import { webhookRoutes } from './http/routes/webhooks/index.js';
import { acceptForms } from './pages/forms.js';
import { registerAssets } from './pages/layout.js';
import { registerPortal } from './portal/index.js';
import { registerConsole } from './console/index.js';
import { Standing } from './standing.js';
import { loadMasterKey, SecretBox } from './webhooks/secrets.js';
import { DeliveryWorker } from './webhooks/worker.js';
import type { Store } from './store/index.js';
import { Gateway, type OrganizationClock } from './gateway/index.js';
import { registerMessageRoutes } from './http/routes/messages/index.js';
import { gatewayOperatorRoutes } from './http/routes/operator/gateway.js';
import { ACTION_URL_TTL_MS } from './domain/link-token.js';
import { mintLink } from './http/routes/user-profiles/links.js';

/** Request bodies above 1 MiB are refused with 413 `request_too_large`. */
export const BODY_LIMIT = 1024 * 1024;


/** Separate keys per purpose, derived from the one server secret every process on a database shares. */
export function purposeKeys(secret: Buffer) {
  const derive = (purpose: string) => createHmac('sha256', secret).update(purpose).digest();
  return {
    cursors: derive('list cursors'),
    links: derive('hosted page links'),
    forms: derive('page forms'),
    sessions: derive('console sessions'),
  };
}

/** The composition root: configuration + store → a ready Fastify app. */
export interface AppOptions {
  /** the clock (tests move it) */
  now?: () => number;
  /** run the webhook delivery worker in this process (default true) */
  worker?: boolean;
}

export async function buildApp(config: Config, store: Store, options: AppOptions = {}): Promise<FastifyInstance> {
  const keys = purposeKeys(await store.serverSecret());
  const now = options.now ?? Date.now;
  // the gateway reads every time through one function of the organization
  const clock: OrganizationClock = () => now();
  const gateway = new Gateway({
    config,
    store,
    clock,
    now,
    log: { debug: (obj, msg) => app.log.debug(obj, msg), warn: (obj, msg) => app.log.warn(obj, msg) },
    actionLink: async (organizationId, profileId) => {
      const link = await mintLink({ config, store, linkKey: keys.links, now: () => clock(organizationId) }, organizationId, profileId, 'action', ACTION_URL_TTL_MS);
      return { url: link.url, expiresAt: Date.parse(link.expires_at) };
    },
  });
  const deps: Deps = {
    config,
    store,
    keys: new KeyResolver(store, config.keyCacheTtlMs),
    authFailures: new FailureThrottle(config.authFailures, now),
    cursors: new CursorCodec(keys.cursors),
    linkKey: keys.links,
    formKey: keys.forms,
    sessionKey: keys.sessions,
    now,
    standing: new Standing(store, now),
    secrets: new SecretBox(loadMasterKey(config.masterKey, config.masterKeyFile)),
    gateway,
  };
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    genReqId: () => newId('req'),
    requestIdHeader: false,
    // the edge (http/edge.ts): slow clients are cut, refusals below the routes answer in the envelope
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      // how often Node looks for connections past those timeouts (its default, 30 s, would let one hold on 30 s longer)
      connectionsCheckingInterval: Math.min(1000, Math.ceil(config.http.headersTimeoutMs / 2)),
      requireHostHeader: false, // requireHost() answers in the envelope instead
    },
    clientErrorHandler: (error, socket) =>
      answerClientError(error, socket, { headersMs: config.http.headersTimeoutMs, requestMs: config.http.requestTimeoutMs }),
    return503OnClosing: false, // answerWhileClosing() answers in the envelope instead
    // link tokens travel in the path of enrollment URLs (~170 characters)
    routerOptions: { maxParamLength: 2048 },
    // a path the router refuses (bad percent-encoding, an over-long segment) names nothing that exists:
    // 404 in our envelope, like any malformed id (decisions §22)
    frameworkErrors: (_error, _request, reply) => {
      reply.header('request-id', reply.request.id);
      return sendError(reply, notFound('Not found.'));
    },
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
      serializers: {
        req: (request) => ({ method: request.method, url: redactUrl(request.url), remoteAddress: request.ip }),
      },
    },
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('request-id', request.id);
    done();
  });
  answerWhileClosing(app);
  requireHost(app);
  new ConnectionCap(app.server, config.http.maxConnections);
  if (options.worker !== false) {
    const worker = new DeliveryWorker(store, deps.secrets, config.webhooks, now, app.log);
    worker.start();
    app.addHook('onClose', () => worker.stop());
  }
  acceptJson(app, BODY_LIMIT);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  registerPlatformRoutes(app, userProfileRoutes, deps);
  registerOperatorRoutes(app, operatorRoutes, deps);
  registerWebhookRoutes(app, webhookRoutes, deps);
  // the inference gateway: /v1/messages and friends, and its operator routes
  await registerMessageRoutes(app, deps);
  registerOperatorRoutes(app, gatewayOperatorRoutes, deps);
  gateway.start();
  app.addHook('onClose', () => gateway.stop());
  // the hosted pages: HTML, forms (only here), strict CSP
  await app.register(async (pages) => {
    acceptForms(pages);
    registerAssets(pages);
    registerPortal(pages, deps);
    registerConsole(pages, deps);
  });
  return app;
}
