import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify';
import { ApiError, authenticationFailed } from '../errors.js';
import { registry, RouteMetrics, webhookQueue } from '../metrics.js';
import { pendingMigrations } from '../store/migrations.js';
import { pendingDeliveries } from '../store/queue-depth.js';
import type { Store } from '../store/index.js';
import { noRoute, sendError } from './errors.js';
import { redactUrl } from './redact.js';
import type { Deps } from './route.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** the id of the API key that authenticated the request, once admission has resolved it (for the log line) */
    keyId: string | null;
  }
}

/** How long GET /readyz waits for the database before it answers 503. */
const READY_TIMEOUT_MS = 2000;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/i;
export const isLoopback = (host: string) => LOOPBACK.test(host.replace(/^\[|\]$/g, ''));

/**
 * Every request ends in one log line (request id, key id, route, status, duration) and one observation of the
 * request histogram, labelled by the route's pattern. Each route gets its own hook holding its own series,
 * so the hot path looks up nothing but the status; requests no route matched go through the app-wide hook.
 * Must be called before any route is registered.
 */
export function observeRequests(app: FastifyInstance): void {
  app.decorateRequest('keyId', null);
  const logger = app.log as unknown as { isLevelEnabled?(level: string): boolean };
  const logging = logger.isLevelEnabled?.('info') ?? true;
  const finish = (request: FastifyRequest, reply: FastifyReply, route: string | null, metrics: RouteMetrics) => {
    const ms = reply.elapsedTime;
    metrics.observe(reply.statusCode, ms / 1000);
    if (logging) {
      request.log.info(
        { key: request.keyId, method: request.method, route: route ?? undefined, url: route === null ? redactUrl(request.url) : undefined,
          status: reply.statusCode, ms: Math.round(ms * 100) / 100 },
        'request',
      );
    }
  };
  app.addHook('onRoute', (route) => {
    const method = Array.isArray(route.method) ? route.method.join(',') : route.method;
    const metrics = new RouteMetrics(method, route.url);
    const hook: onResponseHookHandler = (request, reply, done) => {
      finish(request, reply, route.url, metrics);
      done();
    };
    route.onResponse = route.onResponse === undefined ? [hook] : [...[route.onResponse].flat(), hook];
  });
  const unmatched = new Map<string, RouteMetrics>();
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) {
      let metrics = unmatched.get(request.method);
      if (metrics === undefined) unmatched.set(request.method, (metrics = new RouteMetrics(request.method, 'unmatched')));
      finish(request, reply, null, metrics);
    }
    done();
  });
}

function sameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readiness(store: Store): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`the database did not answer within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      pendingMigrations(store.sql).then(
        (pending) => (pending.length > 0 ? `migrations not applied: ${pending.join(', ')} (run uprof migrate)` : null),
        () => 'the database does not answer',
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * For load balancers, orchestrators and Prometheus, unauthenticated (but see /metrics):
 * - GET /healthz: the process is alive and serving (no database involved);
 * - GET /readyz: the database answers and every migration this code knows is applied, else 503;
 * - GET /metrics: Prometheus text. With METRICS_TOKEN set it needs `Authorization: Bearer <token>`; without,
 *   it is open when the server listens on loopback and does not exist otherwise.
 */
export function registerOperations(app: FastifyInstance, deps: Deps): void {
  const { config, store } = deps;
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    const problem = await readiness(store);
    if (problem === null) return { status: 'ready' };
    request.log.warn({ problem }, 'not ready');
    return sendError(reply, new ApiError(503, 'api_error', `Not ready: ${problem}.`));
  });
  const metricsOpen = config.metricsToken === null && isLoopback(config.host);
  app.get('/metrics', async (request, reply) => {
    if (!metricsOpen) {
      if (config.metricsToken === null) throw noRoute(request);
      const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
      if (!match || !sameSecret(match[1], config.metricsToken)) {
        throw authenticationFailed('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.');
      }
    }
    try {
      webhookQueue.set(await pendingDeliveries(store.sql));
    } catch (error) {
      request.log.warn({ err: error }, 'could not count pending webhook deliveries');
    }
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
