import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../domain/history.js';
import { ApiError, authenticationFailed, invalidRequest, notFound, RateLimitError } from '../errors.js';
import { queryParam, type Query } from '../http/readers.js';
import type { Deps } from '../http/route.js';
import { isWellFormedId } from '../ids.js';
import { csrfToken, csrfValid, formValue, type FormFields } from '../pages/forms.js';
import { sendPage } from '../pages/layout.js';
import { securityHeaders } from '../pages/kit.js';
import { html } from '../pages/html.js';
import { uploadedFiles } from '../pages/forms.js';
import { openEvidence } from '../domain/identity.js';
import { ACTION_REASON_WORDS } from '../domain/enforcement.js';
import { readProfileSearch, searchParams, searchProfiles } from '../review/search.js';
import { readBrandingChange, readKeyName } from '../review/settings.js';
import { readAccentColor, readLogo } from '../pages/branding.js';
import { actionFromForm, checkResultFromForm, cyberDecisionFromForm, efsDecisionFromForm } from './decisions.js';
import { actionWords, actorKeyIds } from './history.js';
import {
  newSession, newSignInNonce, openSession, openSignInNonce, readCookie, sealSession, sealSignInNonce, sessionBinding,
  sessionCookie, setCookie, signInBinding, signInCookie, SESSION_TTL_MS, SIGN_IN_TTL_MS, type Session,
} from './session.js';
import {
  confirmBody, consoleHeader, messageBody, profileBody, profilesBody, profileUrl, queueBody, settingsBody, signInBody,
  type CheckInReview, type Viewer,
} from './views.js';
import { registerWebhookPages } from './webhooks.js';
import { billingFromForm, budgetFromForm, usageOf, usageSection } from './usage.js';

/** A signed-in request: the session, who acts, and what its pages show of the viewer. */
interface Operator {
  session: Session;
  organizationId: string;
  actor: Actor;
  viewer: Viewer;
}

const SIGN_IN = '/console/sign-in';
/** History the profile page reads (newest first): enough for any profile's story, resolved actions included. */
const HISTORY_SHOWN = 500;

/** What a successful action confirms on the page it redirects to (a fixed list: nothing from the request is echoed). */
const SAVED: Record<string, { message: string; anchor: string }> = {
  cyber: { message: 'Cyber decision saved: approved.', anchor: 'cyber' },
  cyber_rejected: { message: 'Cyber decision saved: rejected. The end customer sees the reason in the portal.', anchor: 'cyber' },
  efs: { message: 'EFS decision saved: approved.', anchor: 'efs' },
  efs_rejected: { message: 'EFS decision saved: rejected. The end customer sees the reason in the portal.', anchor: 'efs' },
  opened: { message: 'Enforcement action opened.', anchor: 'enforcement' },
  resolved: { message: 'Enforcement action resolved.', anchor: 'enforcement' },
  passed: { message: 'Identity check passed: the restriction is resolved.', anchor: 'enforcement' },
  failed: { message: 'Identity check failed: the end customer may try again.', anchor: 'enforcement' },
  budget: { message: 'Budget saved.', anchor: 'usage' },
  billing: { message: 'Billing authorization saved.', anchor: 'usage' },
};

/** What a settings form confirms. */
const SETTINGS_SAVED: Record<string, string> = {
  accent: 'Accent colour saved.',
  logo: 'Logo saved.',
  'key-name': 'Key name saved.',
};

/** An action that asks first: the question, the button that confirms, and the fields to post again. */
interface Confirmation {
  confirm: { title: string; question: ReturnType<typeof html>; button: string; fields: Record<string, string> };
}

const isForm = (request: FastifyRequest) =>
  ['application/x-www-form-urlencoded', 'multipart/form-data'].includes((request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase());

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
    securityHeaders(reply);
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
    const session = openSession(deps.tokens, readCookie(request.headers.cookie, cookies().session.name), deps.clock.wall());
    if (!session) return null;
    // signed out on any process: the cookie is still well signed, but the database says it is over
    if (await deps.store.consoleSessions.isRevoked(session.o, session.s)) return null;
    await deps.clock.sync(session.o);
    const key = await deps.store.tenancy.keyById(session.k);
    if (!key || key.revokedAt !== null || key.role !== 'operator' || key.organizationId !== session.o) return null;
    const organization = await deps.store.tenancy.organizationById(session.o);
    if (!organization) return null;
    return {
      session,
      organizationId: session.o,
      actor: { type: 'operator', id: key.id },
      viewer: { csrf: csrfToken(deps.tokens, sessionBinding(session)), organizationName: organization.name, keyId: key.id },
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
    const history = await deps.store.profiles.history(op.organizationId, id, HISTORY_SHOWN);
    const labels = await deps.store.tenancy.keyLabels(op.organizationId, actorKeyIds(history));
    const now = deps.clock.now(op.organizationId);
    const stored = await deps.store.identityChecks.inReview(op.organizationId, id);
    const checks: CheckInReview[] = profile.actions.filter((a) => a.checkSubmitted).map((action) => {
      const check = stored.find((c) => c.actionId === action.id);
      let evidence = null;
      try {
        evidence = check ? openEvidence(deps.secrets, check.sealedEvidence) : null;
      } catch {
        evidence = null; // sealed under another master key: said so on the page
      }
      return { action, submittedAt: check?.submittedAt ?? null, evidence };
    });
    const usage = usageSection(profile, ...(await usageOf(deps, op.organizationId, id)), op.viewer, now);
    return send(reply, op, status, profile.name ?? 'Unnamed profile', profileBody({ profile, history, labels, checks, now, viewer: op.viewer, messages, usage }));
  }

  /**
   * A form that changes a profile: session, then CSRF, then the change through the standing service.
   * Success redirects back to the profile (post/redirect/get); a refusal re-renders the profile with
   * the reason and its status, having changed nothing.
   */
  function action(url: string, run: (op: Operator, id: string, fields: FormFields, params: Record<string, string>) => Promise<keyof typeof SAVED | Confirmation>) {
    app.post(url, async (request, reply) => {
      const op = await signedIn(request);
      if (!op) return toSignIn(request, reply);
      const params = request.params as Record<string, string>;
      const id = params.id;
      const fields = formOf(request);
      if (!csrfValid(deps.tokens, sessionBinding(op.session), formValue(fields, 'csrf'))) return forbidden(reply, profileUrl(id));
      if (!isWellFormedId('uprof', id)) throw notFound(`No user profile ${JSON.stringify(id)} in your organization.`);
      let saved: keyof typeof SAVED | Confirmation;
      try {
        saved = await run(op, id, fields, params);
      } catch (error) {
        if (error instanceof ApiError && error.status < 500) return renderProfile(reply, op, id, error.status, { error: `Not saved: ${error.message}` });
        throw error;
      }
      if (typeof saved !== 'string') {
        const { title, question, button, fields: again } = saved.confirm;
        return send(reply, op, 200, title, confirmBody({ question, button, fields: again, action: request.url, back: profileUrl(id), viewer: op.viewer }));
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
    const nonce = newSignInNonce(deps.clock.wall());
    return sendPage(reply.header('set-cookie', setCookie(cookies().signIn, sealSignInNonce(deps.tokens, nonce), SIGN_IN_TTL_MS)), 200,
      'Sign in to the review console', signInBody(csrfToken(deps.tokens, signInBinding(nonce))));
  });

  app.post('/sign-in', async (request, reply) => {
    const fields = formOf(request);
    const nonce = openSignInNonce(deps.tokens, readCookie(request.headers.cookie, cookies().signIn.name), deps.clock.wall());
    if (!nonce || !csrfValid(deps.tokens, signInBinding(nonce), formValue(fields, 'csrf'))) return forbidden(reply, SIGN_IN);
    const secret = (formValue(fields, 'key') ?? '').trim();
    const key = secret ? await deps.keys.resolve(secret) : null;
    if (!key || key.revokedAt !== null || key.role !== 'operator') {
      // a failed sign-in spends the address's budget (http/auth-throttle.ts); past it, a 429 page
      const refusal = deps.authFailures.fail(request.ip, authenticationFailed('That is not a live operator key. Platform and admin keys cannot sign in here.'));
      if (refusal instanceof RateLimitError) reply.header('retry-after', String(refusal.retryAfterSeconds));
      return sendPage(reply, refusal.status, refusal instanceof RateLimitError ? 'Too many attempts' : 'Sign in to the review console',
        signInBody(csrfToken(deps.tokens, signInBinding(nonce)), refusal.message));
    }
    const session = newSession(key.id, key.organizationId, deps.clock.wall());
    reply.header('set-cookie', [
      setCookie(cookies().session, sealSession(deps.tokens, session), SESSION_TTL_MS),
      setCookie(cookies().signIn, '', 0),
    ]);
    return reply.redirect('/console', 303);
  });

  app.post('/sign-out', async (request, reply) => {
    const op = await signedIn(request);
    if (!op) return toSignIn(request, reply);
    if (!csrfValid(deps.tokens, sessionBinding(op.session), formValue(formOf(request), 'csrf'))) return forbidden(reply, '/console');
    // the cookie may have been copied: the session ends for every process, not only in this browser
    await deps.store.consoleSessions.revoke(op.organizationId, op.session.s, op.session.e, deps.clock.wall());
    return reply.header('set-cookie', setCookie(cookies().session, '', 0)).redirect(SIGN_IN, 303);
  });

  // ------------------------------------------------------------------ pages

  page('/', async (op, _request, reply) => {
    const queue = await deps.store.profiles.awaitingReview(op.organizationId);
    // an empty queue says whether the organization has any profile at all (a key of the wrong organization)
    const hasProfiles = queue.length > 0 || (await deps.store.profiles.search(op.organizationId, { namePrefix: null, referenceId: null, after: null, limit: 0 })).length > 0;
    return send(reply, op, 200, 'Review queue', queueBody(queue, deps.clock.now(op.organizationId), op.viewer, hasProfiles));
  });

  /** The profile search: the operator API's parameters (src/review/search.ts), from a GET form. */
  page('/profiles', async (op, request, reply) => {
    const { id: _id, ...rest } = request.query as Query;
    const goTo = queryParam(request, 'id');
    if (goTo !== undefined) return reply.redirect(profileUrl(goTo.trim()), 303);
    const search = readProfileSearch(rest);
    const { profiles, nextPage } = await searchProfiles(deps, op.organizationId, search);
    const next = nextPage ? `/console/profiles?${searchParams(search, nextPage)}` : null;
    return send(reply, op, 200, 'Profiles', profilesBody(search, profiles, deps.clock.now(op.organizationId), next));
  });

  page('/profiles/:id', async (op, request, reply) => {
    const saved = Object.hasOwn(SAVED, queryParam(request, 'saved') ?? '') ? SAVED[queryParam(request, 'saved')!].message : undefined;
    return renderProfile(reply, op, (request.params as { id: string }).id, 200, { saved });
  });

  // ------------------------------------------------------------------ decisions (same service as the operator API)

  action('/profiles/:id/cyber', async (op, id, fields) => {
    const decision = cyberDecisionFromForm(fields);
    await deps.standing.decideCyber(op.organizationId, id, op.actor, decision);
    return decision.status === 'rejected' ? 'cyber_rejected' : 'cyber';
  });

  action('/profiles/:id/efs', async (op, id, fields) => {
    const decision = efsDecisionFromForm(fields);
    await deps.standing.decideEfs(op.organizationId, id, op.actor, decision);
    return decision.status === 'rejected' ? 'efs_rejected' : 'efs';
  });

  /** Opening a ban asks first: it stops all service and only an operator can lift it. */
  action('/profiles/:id/actions', async (op, id, fields) => {
    const input = actionFromForm(fields);
    if (input.type === 'ban' && formValue(fields, 'confirm') !== 'yes') {
      const again = Object.fromEntries(['type', 'reason', 'expires_at', 'clearable'].flatMap((name) => {
        const value = formValue(fields, name);
        return value === undefined ? [] : [[name, value]];
      }));
      return { confirm: {
        title: 'Ban this profile?',
        question: html`A ban (${ACTION_REASON_WORDS[input.reason]}) stops serving this profile until an operator resolves it; the end customer cannot clear it.`,
        button: 'Yes, ban the profile', fields: again,
      } };
    }
    await deps.standing.openAction(op.organizationId, id, op.actor, input);
    return 'opened';
  });

  /** Resolving asks first: it ends the action for good (the platform sees it resolved). */
  action('/profiles/:id/actions/:actionId/resolve', async (op, id, fields, params) => {
    const actionId = actionIdOf(params);
    if (formValue(fields, 'confirm') !== 'yes') {
      const profile = await deps.store.profiles.find(op.organizationId, id);
      const target = profile?.actions.find((a) => a.id === actionId);
      if (!target) throw notFound(`No open enforcement action ${JSON.stringify(actionId)} on this profile.`);
      return { confirm: {
        title: `Resolve this ${target.type}?`,
        question: html`The ${actionWords(target.type, target.reason)} <code>${target.id}</code> on ${profile!.name ?? 'this profile'} ends now, and the platform sees it resolved.`,
        button: `Yes, resolve the ${target.type}`, fields: {},
      } };
    }
    await deps.standing.resolveAction(op.organizationId, id, op.actor, actionId);
    return 'resolved';
  });

  action('/profiles/:id/actions/:actionId/identity-check', async (op, id, fields, params) => {
    const { passed, note } = checkResultFromForm(fields);
    await deps.standing.reviewIdentityCheck(op.organizationId, id, op.actor, actionIdOf(params), passed, note);
    return passed ? 'passed' : 'failed';
  });

  // ------------------------------------------------------------------ settings: the organization's branding, the key's name

  async function renderSettings(reply: FastifyReply, op: Operator, status: number, messages: { error?: string; saved?: string } = {}) {
    const branding = await deps.store.tenancy.branding(op.organizationId);
    const key = (await deps.store.tenancy.keyLabels(op.organizationId, [op.viewer.keyId])).get(op.viewer.keyId) ?? null;
    return send(reply, op, status, 'Settings', settingsBody(op.organizationId, branding, key, op.viewer, messages));
  }

  page('/settings', async (op, request, reply) => {
    const saved = queryParam(request, 'saved');
    return renderSettings(reply, op, 200, { saved: saved && Object.hasOwn(SETTINGS_SAVED, saved) ? SETTINGS_SAVED[saved] : undefined });
  });

  /** A settings form: session, CSRF, then `run`; a refusal re-renders the settings with the reason, having changed nothing. */
  function settingsForm(name: string, run: (op: Operator, fields: FormFields) => Promise<void>) {
    app.post(`/settings/${name}`, async (request, reply) => {
      const op = await signedIn(request);
      if (!op) return toSignIn(request, reply);
      const fields = formOf(request);
      if (!csrfValid(deps.tokens, sessionBinding(op.session), formValue(fields, 'csrf'))) return forbidden(reply, '/console/settings');
      try {
        await run(op, fields);
      } catch (error) {
        if (error instanceof ApiError && error.status < 500) return renderSettings(reply, op, error.status, { error: `Not saved: ${error.message}` });
        throw error;
      }
      return reply.redirect(`/console/settings?saved=${name}`, 303);
    });
  }

  settingsForm('accent', async (op, fields) => {
    const reset = formValue(fields, 'reset') === 'yes';
    const color = formValue(fields, 'accent_color') ?? '';
    if (!reset && 'problem' in readAccentColor(color)) throw invalidRequest((readAccentColor(color) as { problem: string }).problem);
    await deps.store.tenancy.setBranding(op.organizationId, readBrandingChange({ accent_color: reset ? null : color }));
  });

  settingsForm('logo', async (op, fields) => {
    if (formValue(fields, 'remove') === 'yes') {
      await deps.store.tenancy.setBranding(op.organizationId, { logo: null });
      return;
    }
    const file = uploadedFiles(fields).get('logo');
    if (!file || file.bytes.length === 0) throw invalidRequest('logo: choose a PNG file to upload.');
    const logo = readLogo(file.bytes);
    if ('problem' in logo) throw invalidRequest(logo.problem);
    await deps.store.tenancy.setBranding(op.organizationId, { logo });
  });

  settingsForm('key-name', async (op, fields) => {
    await deps.store.tenancy.setKeyName(op.organizationId, op.viewer.keyId, readKeyName({ name: formValue(fields, 'name') ?? '' }));
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
          if (!csrfValid(deps.tokens, sessionBinding(op.session), formValue(formOf(request), 'csrf'))) return forbidden(reply, back(params));
          return run(op, params, reply);
        }),
    },
    deps,
  );
}
