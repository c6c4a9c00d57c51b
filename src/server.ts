import { createHmac } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { Clock } from './clock.js';
import type { Config } from './config.js';
import { CursorCodec } from './domain/cursor.js';
import { newId } from './ids.js';
import { KeyResolver } from './keys.js';
import { notFound } from './errors.js';
import { errorHandler, notFoundHandler, sendError } from './http/errors.js';
import { redactUrl } from './http/redact.js';
import { registerPlatformRoutes, type Deps } from './http/route.js';
import { userProfileRoutes } from './http/routes/user-profiles/index.js';
import { registerOperatorRoutes } from './http/operator.js';
import { operatorRoutes } from './http/routes/operator/index.js';
import { emulatorRoutes } from './http/routes/operator/emulator.js';
import { loadFixtureDocument } from './fixtures/index.js';
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
  /** the real time (tests move it); every rule reads it through the Clock */
  now?: () => number;
  /** run the webhook delivery worker in this process (default true) */
  worker?: boolean;
}

export async function buildApp(config: Config, store: Store, options: AppOptions = {}): Promise<FastifyInstance> {
  const keys = purposeKeys(await store.serverSecret());
  const clock = new Clock(options.now ?? Date.now, config.emulator ? store.emulator : null);
  const secrets = new SecretBox(loadMasterKey(config.masterKey, config.masterKeyFile));
  // UPROF_FIXTURES: loaded before serving, by the process that keeps the profiles in memory (docs/fixtures.md)
  for (const fixture of config.fixtures) await store.fixtures.load(loadFixtureDocument(fixture, clock.wall()), secrets, clock.wall());
  const deps: Deps = {
    config,
    store,
    keys: new KeyResolver(store, config.keyCacheTtlMs),
    cursors: new CursorCodec(keys.cursors),
    linkKey: keys.links,
    formKey: keys.forms,
    sessionKey: keys.sessions,
    clock,
    standing: new Standing(store, (organizationId) => clock.now(organizationId)),
    secrets,
  };
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    genReqId: () => newId('req'),
    requestIdHeader: false,
    return503OnClosing: true,
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
  if (options.worker !== false) {
    const worker = new DeliveryWorker(store, deps.secrets, config.webhooks, clock, app.log);
    worker.start();
    app.addHook('onClose', () => worker.stop());
  }
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  registerPlatformRoutes(app, userProfileRoutes, deps);
  registerOperatorRoutes(app, operatorRoutes, deps);
  // decisions §38: without UPROF_EMULATOR=1 these routes do not exist (404 like any unknown route)
  if (config.emulator) registerOperatorRoutes(app, emulatorRoutes, deps);
  registerWebhookRoutes(app, webhookRoutes, deps);
  // the hosted pages: HTML, forms (only here), strict CSP
  await app.register(async (pages) => {
    acceptForms(pages);
    registerAssets(pages);
    registerPortal(pages, deps);
    registerConsole(pages, deps);
  });
  return app;
}
