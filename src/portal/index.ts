import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { verifiable } from '../domain/enforcement.js';
import { sealEvidence } from '../domain/identity.js';
import { formatTimestamp } from '../domain/time.js';
import { brandStylesheets } from '../pages/branding.js';
import { ApiError } from '../errors.js';
import { queryParam } from '../http/readers.js';
import type { Deps } from '../http/route.js';
import { csrfToken, csrfValid, formValue, type FormFields } from '../pages/forms.js';
import { html } from '../pages/html.js';
import { sendPage } from '../pages/layout.js';
import type { UrlTokenKind } from '../store/url-tokens.js';
import { csrfBinding, doneLocation, endCustomer, openLink, type OpenLink } from './link.js';
import { readSubmission, type Refusal, type Submission } from './submission.js';
import { isDone, LINK_ERRORS, PLAIN_HEADER, PORTAL_TITLE, renderPortal, tierLabel } from './view.js';
import { EFS_FEATURE_NAMES } from '../domain/programs.js';

/** Where each kind of link carries its token (decisions §21; see src/links.ts). */
const tokenIn: Record<UrlTokenKind, (request: FastifyRequest) => unknown> = {
  action: (request) => queryParam(request, 'enrollment_token'),
  enrollment: (request) => (request.params as { token?: unknown }).token,
};

const linkError = (reply: FastifyReply, status: 404 | 410): FastifyReply =>
  sendPage(reply, status, LINK_ERRORS[status].title, LINK_ERRORS[status].body, { header: PLAIN_HEADER });

/**
 * The Verification Portal: the end customer's pages behind action URLs (`/portal/enroll?enrollment_token=…`)
 * and enrollment URLs (`/user-profiles/enrollment/…`). Server-rendered, no script, every form CSRF-bound to
 * the link. A link works until it expires; anything wrong with it shows an error page and changes nothing.
 */
export function registerPortal(pages: FastifyInstance, deps: Deps): void {
  void pages.register(async (portal) => {
    portal.setErrorHandler(pageErrorHandler);

    const show = (reply: FastifyReply, status: number, link: OpenLink, extra: { done?: Submission['form']; refusal?: Refusal } = {}) => {
      const csrf = csrfToken(deps.tokens, csrfBinding(link.token));
      const { header, body } = renderPortal({ link, now: deps.clock.now(link.organizationId), csrf, ...extra });
      return sendPage(reply, status, PORTAL_TITLE, body, { header, stylesheets: brandStylesheets(link.branding) });
    };

    const view = (kind: UrlTokenKind) => async (request: FastifyRequest, reply: FastifyReply) => {
      const opened = await openLink(deps, kind, tokenIn[kind](request));
      if (!opened.ok) return linkError(reply, opened.status);
      const done = queryParam(request, 'done');
      return show(reply, 200, opened.link, { done: isDone(done) ? done : undefined });
    };

    const submit = (kind: UrlTokenKind) => async (request: FastifyRequest, reply: FastifyReply) => {
      const opened = await openLink(deps, kind, tokenIn[kind](request));
      if (!opened.ok) return linkError(reply, opened.status);
      const { link } = opened;
      const refused = (status: number, form: Refusal['form'], message: string) =>
        show(reply, status, link, { refusal: { refused: true, form, message, chosen: [] } });

      // only a form posted from our own page: urlencoded, same site, carrying this link's CSRF token
      if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(request.headers['content-type'] ?? '')) {
        return refused(415, null, 'Please submit the form on this page.');
      }
      const fields = (request.body ?? {}) as FormFields;
      if (request.headers['sec-fetch-site'] === 'cross-site' || !csrfValid(deps.tokens, csrfBinding(link.token), formValue(fields, 'csrf'))) {
        return refused(403, null, 'Your form could not be verified, so nothing was changed. Please submit it again from this page.');
      }

      const submission = readSubmission(fields, formatTimestamp(deps.clock.now(link.organizationId)).slice(0, 10));
      if ('refused' in submission) return show(reply, 400, link, { refusal: submission });
      // what is already granted is not asked for again
      const { cyber, efs } = link.profile;
      const activeTiers = submission.form === 'cyber' ? submission.tiers.filter((tier) => cyber?.tiers[tier].active) : [];
      const activeFeatures = submission.form === 'efs' ? submission.features.filter((feature) => efs?.features[feature]) : [];
      if (activeTiers.length > 0 || activeFeatures.length > 0) {
        const names = [...activeTiers.map(tierLabel), ...activeFeatures.map((f) => EFS_FEATURE_NAMES[f])].join(', ');
        return show(reply, 400, link, {
          refusal: { refused: true, form: submission.form, message: `Already granted: ${names}. Choose among what is offered; nothing was submitted.`, chosen: [] },
        });
      }

      // the identity check comes first while a restriction it can clear is open (decisions §25)
      const checkOpen = verifiable(link.profile.actions, deps.clock.now(link.organizationId)).length > 0;
      if (checkOpen && submission.form !== 'identity_check') {
        return refused(409, 'identity_check', 'Please complete the identity check first; nothing else was changed.');
      }
      if (!checkOpen && submission.form === 'identity_check') {
        return refused(409, null, 'There is no identity check to take for this profile at the moment; nothing was changed.');
      }

      const actor = endCustomer(kind);
      const { organizationId, profile } = link;
      try {
        if (submission.form === 'cyber') await deps.standing.applyForCyber(organizationId, profile.id, actor, submission.tiers);
        else if (submission.form === 'efs') await deps.standing.applyForEfs(organizationId, profile.id, actor, submission.features);
        else if (submission.form === 'billing') await deps.standing.setBillingAuthorization(organizationId, profile.id, actor, submission.authorized);
        else await deps.standing.submitIdentityCheck(organizationId, profile.id, actor, sealEvidence(deps.secrets, submission.evidence));
      } catch (error) {
        // deleted while the page was open
        if (error instanceof ApiError && error.status === 404) return linkError(reply, 404);
        throw error;
      }
      // post/redirect/get: a reload shows the confirmation and does not submit again
      return reply.code(303).header('location', doneLocation(link, submission.form)).header('cache-control', 'no-store').send();
    };

    portal.get('/portal/enroll', view('action'));
    portal.post('/portal/enroll', submit('action'));
    portal.get('/user-profiles/enrollment/:token', view('enrollment'));
    portal.post('/user-profiles/enrollment/:token', submit('enrollment'));
  });
}

/** Framework refusals (body too large, unknown content type) and the unexpected, as pages rather than JSON. */
function pageErrorHandler(error: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const code = error instanceof ApiError ? error.status : error.statusCode;
  const status = typeof code === 'number' && code >= 400 && code < 500 ? code : 500;
  if (status === 500) request.log.error({ err: error }, 'unhandled error in the portal');
  const message =
    status === 500
      ? html`<p>Something went wrong on our side, and nothing was changed. Please try again in a moment.</p>`
      : error instanceof ApiError
        ? html`<p>${error.message} Nothing was changed.</p>`
        : html`<p>The request could not be read, so nothing was changed. Please go back and submit the form on the page again.</p>`;
  return sendPage(reply, status, status === 500 ? 'Something went wrong' : 'This request could not be processed', message, { header: PLAIN_HEADER });
}
