import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { Clock } from './clock.js';
import type { Config } from './config.js';
import { CursorCodec } from './domain/cursor.js';
import { newId } from './ids.js';
import { KeyResolver } from './keys.js';
import { notFound } from './errors.js';
import { errorHandler, notFoundHandler, sendError } from './http/errors.js';
import { answerClientError, answerWhileClosing, ConnectionCap, requireHost } from './http/edge.js';
import { acceptJson } from './http/json-body.js';
import { registerOpenApi } from './http/openapi.js';
import { FailureThrottle } from './http/auth-throttle.js';
import { Idempotency, registerIdempotency } from './http/idempotency.js';
import { bucketStore, RateLimiter, registerRateLimits } from './http/rate-limit.js';
import { observeRequests, registerOperations } from './http/operations.js';
import { loggerOptions } from './logging.js';
import { registerRoutes, type Deps } from './http/route.js';
import { operatorApi, platformApi, webhooksApi } from './http/admission.js';
import { userProfileRoutes } from './http/routes/user-profiles/index.js';
import { operatorRoutes } from './http/routes/operator/index.js';
import { emulatorRoutes } from './http/routes/operator/emulator/index.js';
import { loadFixtureDocument } from './fixtures/index.js';
import { webhookRoutes } from './http/routes/webhooks/index.js';
import { acceptForms } from './pages/forms.js';
import { registerAssets } from './pages/layout.js';
import { registerBrandingAssets } from './pages/branding.js';
import { registerPortal } from './portal/index.js';
import { registerConsole } from './console/index.js';
import { Standing } from './standing.js';
import { Tokens } from './tokens.js';
import { loadMasterKey, SecretBox } from './webhooks/secrets.js';
import { DeliveryWorker } from './webhooks/worker.js';
import type { Store } from './store/index.js';
import { Gateway } from './gateway/index.js';
import { gatewayApi, messageRoutes } from './http/routes/messages/index.js';
import { gatewayOperatorRoutes } from './http/routes/operator/gateway/index.js';
import { ACTION_URL_TTL_MS } from './domain/link-token.js';
import { mintLink } from './links.js';

/** Request bodies above 1 MiB are refused with 413 `request_too_large`. */
export const BODY_LIMIT = 1024 * 1024;

/** The composition root: configuration + store → a ready Fastify app. */
export interface AppOptions {
  /** the real time (tests move it); every rule reads it through the Clock */
  now?: () => number;
  /** run the webhook delivery worker in this process (default true) */
  worker?: boolean;
}

export async function buildApp(config: Config, store: Store, options: AppOptions = {}): Promise<FastifyInstance> {
  const tokens = new Tokens(await store.serverSecret());
  const clock = new Clock(options.now ?? Date.now, config.emulator ? store.emulator : null);
  const secrets = new SecretBox(loadMasterKey(config.masterKey, config.masterKeyFile));
  // UPROF_FIXTURES: loaded before serving, by the process that keeps the profiles in memory (docs/fixtures.md)
  for (const fixture of config.fixtures) await store.fixtures.load(loadFixtureDocument(fixture, clock.wall()), secrets, clock.wall());
  const gateway = new Gateway({
    config,
    store,
    // the gateway reads every time through one function of the organization
    clock: (organizationId) => clock.now(organizationId),
    now: () => clock.wall(),
    log: { debug: (obj, msg) => app.log.debug(obj, msg), warn: (obj, msg) => app.log.warn(obj, msg) },
    actionLink: async (organizationId, profileId) => {
      const link = await mintLink({ config, store, tokens, clock }, organizationId, profileId, 'action', ACTION_URL_TTL_MS);
      return { url: link.url, expiresAt: Date.parse(link.expires_at) };
    },
  });
  const deps: Deps = {
    config,
    store,
    keys: new KeyResolver(store, config.keyCacheTtlMs),
    authFailures: new FailureThrottle(config.authFailures, () => clock.wall()),
    rateLimits: new RateLimiter(config.rateLimit, bucketStore(config, () => clock.wall()), () => clock.wall()),
    idempotency: new Idempotency(store, config.idempotency, () => clock.wall()),
    cursors: new CursorCodec(tokens),
    tokens,
    clock,
    standing: new Standing(store, (organizationId) => clock.now(organizationId)),
    secrets,
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
      void sendError(reply, notFound('Not found.'));
    },
    logger: loggerOptions(config),
    // one line per request, written when it ends (observeRequests)
    logController: new LogController({ disableRequestLogging: true }),
  });
  observeRequests(app);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('request-id', request.id);
    done();
  });
  answerWhileClosing(app);
  requireHost(app);
  new ConnectionCap(app.server, config.http.maxConnections);
  if (options.worker !== false) {
    const worker = new DeliveryWorker(store, deps.secrets, config.webhooks, clock, app.log);
    worker.start();
    // on close the worker stops taking work at once and its attempts in flight get until the shutdown bound
    // to finish and be recorded; one still running then keeps its lease, which lapses, and the delivery is
    // made again (at least once, decisions §27)
    let stopping: { done: Promise<void>; deadline: number } | null = null;
    const stop = () => (stopping ??= { done: worker.stop(), deadline: Date.now() + config.shutdownTimeoutMs });
    app.addHook('preClose', async () => void stop());
    app.addHook('onClose', async () => {
      const { done, deadline } = stop();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))]);
      clearTimeout(timer);
    });
  }
  acceptJson(app, BODY_LIMIT);
  registerRateLimits(app, deps.rateLimits);
  registerIdempotency(app, deps.idempotency, () => store.idempotency.sweep(clock.wall()));
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  registerOperations(app, deps);
  registerOpenApi(app, deps);
  registerRoutes(app, platformApi, userProfileRoutes, deps);
  registerRoutes(app, operatorApi, operatorRoutes, deps);
  // decisions §38: without UPROF_EMULATOR=1 these routes do not exist (404 like any unknown route)
  if (config.emulator) registerRoutes(app, operatorApi, emulatorRoutes, deps);
  registerRoutes(app, webhooksApi, webhookRoutes, deps);
  // the inference gateway: /v1/messages and friends, and its operator routes
  registerRoutes(app, gatewayApi, messageRoutes, deps);
  registerRoutes(app, operatorApi, gatewayOperatorRoutes, deps);
  gateway.start();
  app.addHook('onClose', () => gateway.stop());
  // the hosted pages: HTML, forms (only here), strict CSP
  await app.register(async (pages) => {
    acceptForms(pages);
    registerAssets(pages);
    registerBrandingAssets(pages, store);
    registerPortal(pages, deps);
    registerConsole(pages, deps);
  });
  return app;
}
