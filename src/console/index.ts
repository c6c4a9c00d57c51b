import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../domain/history.js';
import { ApiError, authenticationFailed, invalidRequest, notFound, RateLimitError } from '../errors.js';
import { queryParam } from '../http/query.js';
import type { Deps } from '../http/route.js';
import { isWellFormedId } from '../ids.js';
import { csrfToken, csrfValid, formValue, type FormFields } from '../pages/forms.js';
import { CONTENT_SECURITY_POLICY, sendPage } from '../pages/layout.js';
import { actionFromForm, checkResultFromForm, cyberDecisionFromForm, efsDecisionFromForm } from './decisions.js';
import {
  newSession, newSignInNonce, openSession, openSignInNonce, readCookie, sealSession, sealSignInNonce, sessionBinding,
  sessionCookie, setCookie, signInBinding, signInCookie, SESSION_TTL_MS, SIGN_IN_TTL_MS, type Session,
} from './session.js';
import { consoleHeader, messageBody, profileBody, profilesBody, queueBody, signInBody, type Viewer } from './views.js';
import { registerWebhookPages } from './webhooks.js';
import { billingFromForm, budgetFromForm, usageOf, usageSection } from './usage.js';

/** A signed-in request: the session, who acts, and what its pages show of the viewer. */
interface Operator {
  session: Session;
  organizationId: string;
  actor: Actor;
  viewer: Viewer;
}

const PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 100;
const SIGN_IN = '/console/sign-in';
const profileUrl = (id: string) => `/console/profiles/${encodeURIComponent(id)}`;

/** What a successful action confirms on the page it redirects to (a fixed list: nothing from the request is echoed). */
const SAVED: Record<string, { message: string; anchor: string }> = {
  cyber: { message: 'Cyber decision saved.', anchor: 'cyber' },
  efs: { message: 'EFS decision saved.', anchor: 'efs' },
  opened: { message: 'Enforcement action opened.', anchor: 'enforcement' },
  resolved: { message: 'Enforcement action resolved.', anchor: 'enforcement' },
  passed: { message: 'Identity check passed: the restriction is resolved.', anchor: 'enforcement' },
  failed: { message: 'Identity check failed: the end customer may try again.', anchor: 'enforcement' },
  budget: { message: 'Budget saved.', anchor: 'usage' },
  billing: { message: 'Billing authorization saved.', anchor: 'usage' },
};

const isForm = (request: FastifyRequest) =>
  (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === 'application/x-www-form-urlencoded';

/** A posted form's fields; anything that is not a urlencoded form has none (and so no CSRF token). */
const formOf = (request: FastifyRequest): FormFields =>
  isForm(request) && typeof request.body === 'object' && request.body !== null ? (request.body as FormFields) : {};


/**
 * The provider's review console (decisions §24): server-rendered pages, no JavaScript, over the same
 * standing service and store reads as the operator API, so both surfaces apply the same rules and
 * record the same history (actor: the operator key's id). Security:
 * - sessions: see session.ts (signed stateless cookie, key re-checked on every request);
 * - CSRF: every session form carries an HMAC of the session id; the sign-in form one of a random nonce
 *   held in a short-lived signed cookie (double submit), so a forged cross-site sign-in cannot log a
 *   victim into the attacker's organization. SameSite=Strict cookies are a second line, not the only one;
 * - strict CSP and no-store on every console response (pages, redirects, errors);
 * - the operator key is read from the sign-in POST body only (bodies are never logged), never echoed,
 *   never stored in the cookie; pages never render it or the cookie.
 * An operator session sees only its organization: another organization's profile is 404, with no change.
 */
export function registerConsole(pages: FastifyInstance, deps: Deps): void {
  pages.register(async (app) => consoleRoutes(app, deps), { prefix: '/console' });
}

async function consoleRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  const cookies = () => ({ session: sessionCookie(deps.config.publicUrl), signIn: signInCookie(deps.config.publicUrl) });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-frame-options', 'DENY')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store');
    return payload;
  });

  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    const status = error instanceof ApiError ? error.status : error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'unhandled console error');
      return sendPage(reply, 500, 'Something went wrong', messageBody(`The console could not do that (request ${request.id}).`, { href: '/console', text: 'Back to the review queue' }));
    }
    const title = status === 404 ? 'Not found' : status === 413 ? 'Form too large' : 'Request refused';
    return sendPage(reply, status, title, messageBody(error.message, { href: '/console', text: 'Back to the review queue' }));
  });

  app.setNotFoundHandler((request, reply) =>
    sendPage(reply, 404, 'Not found', messageBody(`There is no console page at ${request.url.split('?')[0]}.`, { href: '/console', text: 'Back to the review queue' })),
  );

  /** The signed-in operator, or null when the cookie is missing, tampered, expired, or its key is no longer live. */
  async function signedIn(request: FastifyRequest): Promise<Operator | null> {
    const session = openSession(deps.sessionKey, readCookie(request.headers.cookie, cookies().session.name), deps.now());
    if (!session) return null;
    // signed out on any process: the cookie is still well signed, but the database says it is over
    if (await deps.store.consoleSessions.isRevoked(session.o, session.s)) return null;
    const key = await deps.store.tenancy.keyById(session.k);
    if (!key || key.revokedAt !== null || key.role !== 'operator' || key.organizationId !== session.o) return null;
    const organization = await deps.store.tenancy.organizationById(session.o);
    if (!organization) return null;
    return {
      session,
      organizationId: session.o,
      actor: { type: 'operator', id: key.id },
      viewer: { csrf: csrfToken(deps.formKey, sessionBinding(session)), organizationName: organization.name, keyId: key.id },
    };
  }

  /** Back to sign-in, dropping whatever session cookie was presented. */
  function toSignIn(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const spec = cookies().session;
    if (readCookie(request.headers.cookie, spec.name) !== undefined) reply.header('set-cookie', setCookie(spec, '', 0));
    return reply.redirect(SIGN_IN, 303);
  }

  const forbidden = (reply: FastifyReply, back: string) =>
    sendPage(
      reply,
      403,
      'Form refused',
      messageBody('This form did not come from your console session, or the session has changed. Nothing was changed.', { href: back, text: 'Reload the page and try again' }),
    );

  /** A page for a signed-in operator (else the redirect to sign-in). */
  function page(url: string, render: (op: Operator, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) {
    app.get(url, async (request, reply) => {
      const op = await signedIn(request);
      return op ? render(op, request, reply) : toSignIn(request, reply);
    });
  }

  const send = (reply: FastifyReply, op: Operator, status: number, title: string, body: Parameters<typeof sendPage>[3]) =>
    sendPage(reply, status, title, body, { header: consoleHeader(op.viewer) });

  /** A profile of the operator's organization (anything else is 404), with an error or a confirmation. */
  async function renderProfile(reply: FastifyReply, op: Operator, id: string, status: number, messages: { error?: string; saved?: string } = {}) {
    const profile = isWellFormedId('uprof', id) ? await deps.store.profiles.find(op.organizationId, id) : null;
    if (!profile) throw notFound(`No user profile ${JSON.stringify(id)} in your organization.`);
    const history = await deps.store.profiles.history(op.organizationId, id);
    const usage = usageSection(profile, ...(await usageOf(deps, op.organizationId, id)), op.viewer);
    return send(reply, op, status, profile.name ?? 'Unnamed profile', profileBody(profile, history, deps.now(), op.viewer, messages, usage));
  }

  /**
   * A form that changes a profile: session, then CSRF, then the change through the standing service.
   * Success redirects back to the profile (post/redirect/get); a refusal re-renders the profile with
   * the reason and its status, having changed nothing.
   */
  function action(url: string, run: (op: Operator, id: string, fields: FormFields, params: Record<string, string>) => Promise<keyof typeof SAVED>) {
    app.post(url, async (request, reply) => {
      const op = await signedIn(request);
      if (!op) return toSignIn(request, reply);
      const params = request.params as Record<string, string>;
      const id = params.id;
      const fields = formOf(request);
      if (!csrfValid(deps.formKey, sessionBinding(op.session), formValue(fields, 'csrf'))) return forbidden(reply, profileUrl(id));
      if (!isWellFormedId('uprof', id)) throw notFound(`No user profile ${JSON.stringify(id)} in your organization.`);
      let saved: keyof typeof SAVED;
      try {
        saved = await run(op, id, fields, params);
      } catch (error) {
        if (error instanceof ApiError && error.status < 500) return renderProfile(reply, op, id, error.status, { error: `Not saved: ${error.message}` });
        throw error;
      }
      return reply.redirect(`${profileUrl(id)}?saved=${saved}#${SAVED[saved].anchor}`, 303);
    });
  }

  const actionIdOf = (params: Record<string, string>) => {
    if (!isWellFormedId('enac', params.actionId)) throw notFound(`No enforcement action ${JSON.stringify(params.actionId)} on this profile.`);
    return params.actionId;
  };

  // ------------------------------------------------------------------ sign-in and sign-out

  app.get('/sign-in', async (request, reply) => {
    if (await signedIn(request)) return reply.redirect('/console', 303);
    const nonce = newSignInNonce(deps.now());
    return sendPage(reply.header('set-cookie', setCookie(cookies().signIn, sealSignInNonce(deps.sessionKey, nonce), SIGN_IN_TTL_MS)), 200,
      'Sign in to the review console', signInBody(csrfToken(deps.formKey, signInBinding(nonce))));
  });

  app.post('/sign-in', async (request, reply) => {
    const fields = formOf(request);
    const nonce = openSignInNonce(deps.sessionKey, readCookie(request.headers.cookie, cookies().signIn.name), deps.now());
    if (!nonce || !csrfValid(deps.formKey, signInBinding(nonce), formValue(fields, 'csrf'))) return forbidden(reply, SIGN_IN);
    const secret = (formValue(fields, 'key') ?? '').trim();
    const key = secret ? await deps.keys.resolve(secret) : null;
    if (!key || key.revokedAt !== null || key.role !== 'operator') {
      // a failed sign-in spends the address's budget (http/auth-throttle.ts); past it, a 429 page
      const refusal = deps.authFailures.fail(request.ip, authenticationFailed('That is not a live operator key. Platform and admin keys cannot sign in here.'));
      if (refusal instanceof RateLimitError) reply.header('retry-after', String(refusal.retryAfterSeconds));
      return sendPage(reply, refusal.status, refusal instanceof RateLimitError ? 'Too many attempts' : 'Sign in to the review console',
        signInBody(csrfToken(deps.formKey, signInBinding(nonce)), refusal.message));
    }
    const session = newSession(key.id, key.organizationId, deps.now());
    reply.header('set-cookie', [
      setCookie(cookies().session, sealSession(deps.sessionKey, session), SESSION_TTL_MS),
      setCookie(cookies().signIn, '', 0),
    ]);
    return reply.redirect('/console', 303);
  });

  app.post('/sign-out', async (request, reply) => {
    const op = await signedIn(request);
    if (!op) return toSignIn(request, reply);
    if (!csrfValid(deps.formKey, sessionBinding(op.session), formValue(formOf(request), 'csrf'))) return forbidden(reply, '/console');
    // the cookie may have been copied: the session ends for every process, not only in this browser
    await deps.store.consoleSessions.revoke(op.organizationId, op.session.s, op.session.e, deps.now());
    return reply.header('set-cookie', setCookie(cookies().session, '', 0)).redirect(SIGN_IN, 303);
  });

  // ------------------------------------------------------------------ pages

  page('/', async (op, _request, reply) =>
    send(reply, op, 200, 'Review queue', queueBody(await deps.store.profiles.awaitingReview(op.organizationId))),
  );

  page('/profiles', async (op, request, reply) => {
    const goTo = queryParam(request, 'id');
    if (goTo !== undefined) return reply.redirect(profileUrl(goTo.trim()), 303);
    const limitText = queryParam(request, 'limit');
    const limit = limitText === undefined ? PAGE_SIZE : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw invalidRequest(`limit: must be a whole number from 1 to ${MAX_PAGE_SIZE}.`);
    const binding = { order: 'desc', orderBy: 'created_at', filter: 'console' } as const;
    const cursor = queryParam(request, 'after');
    const after = cursor === undefined ? null : deps.cursors.decode(cursor, binding);
    const rows = await deps.store.profiles.list(op.organizationId, { order: 'desc', orderBy: 'created_at', after, limit });
    const shown = rows.slice(0, limit);
    const last = shown.at(-1);
    const next =
      rows.length > limit && last
        ? `/console/profiles?${new URLSearchParams({
            after: deps.cursors.encode(binding, last.position),
            ...(limitText === undefined ? {} : { limit: String(limit) }),
          })}`
        : null;
    return send(reply, op, 200, 'Profiles', profilesBody(shown.map((row) => row.profile), deps.now(), next));
  });

  page('/profiles/:id', async (op, request, reply) => {
    const saved = Object.hasOwn(SAVED, queryParam(request, 'saved') ?? '') ? SAVED[queryParam(request, 'saved')!].message : undefined;
    return renderProfile(reply, op, (request.params as { id: string }).id, 200, { saved });
  });

  // ------------------------------------------------------------------ decisions (same service as the operator API)

  action('/profiles/:id/cyber', async (op, id, fields) => {
    await deps.standing.decideCyber(op.organizationId, id, op.actor, cyberDecisionFromForm(fields));
    return 'cyber';
  });

  action('/profiles/:id/efs', async (op, id, fields) => {
    await deps.standing.decideEfs(op.organizationId, id, op.actor, efsDecisionFromForm(fields));
    return 'efs';
  });

  action('/profiles/:id/actions', async (op, id, fields) => {
    await deps.standing.openAction(op.organizationId, id, op.actor, actionFromForm(fields));
    return 'opened';
  });

  action('/profiles/:id/actions/:actionId/resolve', async (op, id, _fields, params) => {
    await deps.standing.resolveAction(op.organizationId, id, op.actor, actionIdOf(params));
    return 'resolved';
  });

  action('/profiles/:id/actions/:actionId/identity-check', async (op, id, fields, params) => {
    const passed = checkResultFromForm(fields);
    await deps.standing.reviewIdentityCheck(op.organizationId, id, op.actor, actionIdOf(params), passed);
    return passed ? 'passed' : 'failed';
  });

  // ------------------------------------------------------------------ the inference gateway: budget, billing authorization

  action('/profiles/:id/budget', async (op, id, fields) => {
    if (!(await deps.store.profiles.find(op.organizationId, id))) throw notFound(`No user profile ${JSON.stringify(id)} in your organization.`);
    const budget = budgetFromForm(fields, deps.gateway.clock(op.organizationId));
    if (budget) await deps.store.gatewaySettings.setBudget(op.organizationId, id, budget);
    else await deps.store.gatewaySettings.deleteBudget(op.organizationId, id);
    deps.gateway.budgets.forget(op.organizationId, id);
    return 'budget';
  });

  action('/profiles/:id/billing', async (op, id, fields) => {
    await deps.standing.setBillingAuthorization(op.organizationId, id, op.actor, billingFromForm(fields));
    return 'billing';
  });

  // ------------------------------------------------------------------ webhooks: endpoints, delivery log, re-send

  registerWebhookPages<Operator>(
    {
      page,
      send,
      form: (url, back, run) =>
        app.post(url, async (request, reply) => {
          const op = await signedIn(request);
          if (!op) return toSignIn(request, reply);
          const params = request.params as Record<string, string>;
          if (!csrfValid(deps.formKey, sessionBinding(op.session), formValue(formOf(request), 'csrf'))) return forbidden(reply, back(params));
          return run(op, params, reply);
        }),
    },
    deps,
  );
}
