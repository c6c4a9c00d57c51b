import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, invalidRequest, notFound } from '../errors.js';
import { queryParam } from '../http/readers.js';
import type { Deps } from '../http/route.js';
import { ENDPOINT_CAP } from '../webhooks/limits.js';
import { isWellFormedEventId, isWellFormedId } from '../ids.js';
import { html, type SafeHtml } from '../pages/html.js';
import { badge as toneBadge, cell, csrfField, errorNotice, savedNotice, when, type Tone } from '../pages/kit.js';
import type { DeliveryAttempt, WebhookEndpoint } from '../store/webhooks.js';
import type { Viewer } from './views.js';

/**
 * The console's webhook pages: the organization's endpoints, each endpoint's delivery log, and a
 * "Re-send" form per logged event (the same store operation as the API's `…/deliveries/{event_id}/resend`,
 * with the same refusals). Read-only otherwise: endpoints are managed through the API.
 */

/** What these pages need of a signed-in operator. */
export interface WebhookPageOperator {
  organizationId: string;
  viewer: Viewer;
}

/** The console's plumbing (index.ts): sessions, CSRF and page layout stay in one place. */
export interface ConsoleKit<Op extends WebhookPageOperator> {
  /** a GET page for a signed-in operator (else the redirect to sign-in) */
  page(url: string, render: (op: Op, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>): void;
  /** a POST form: signed in, then a valid CSRF token (else 403 with a link to `back`), then `run` */
  form(url: string, back: (params: Record<string, string>) => string, run: (op: Op, params: Record<string, string>, reply: FastifyReply) => Promise<FastifyReply>): void;
  send(reply: FastifyReply, op: Op, status: number, title: string, body: SafeHtml): FastifyReply;
}

const LOG_SIZE = 50;
const MAX_LOG_SIZE = 100;
const endpointUrl = (id: string) => `/console/webhooks/${encodeURIComponent(id)}`;
const RESENT = 'Event queued for re-delivery, under its original webhook-id.';

const TONE: Record<string, Tone> = { enabled: 'good', disabled: 'bad', delivered: 'good', pending: 'waiting', failed: 'bad', dropped: 'none' };
const badge = (state: string) => toneBadge(TONE[state] ?? 'none', state);
const eventList = (events: readonly string[]) => html`<ul class="plain">${events.map((e) => html`<li><code>${e}</code></li>`)}</ul>`;
const nameOf = (e: WebhookEndpoint) => e.name || 'Unnamed endpoint';

function endpointsBody(endpoints: WebhookEndpoint[]): SafeHtml {
  return html`<p class="muted">Endpoints receive this organization's events, signed. Create and change them through the API
(<code>/v1/organizations/webhooks</code>, beta <code>webhooks-2026-10-07</code>); here you can follow their deliveries and re-send events.</p>
${endpoints.length === 0
    ? html`<p class="notice">No webhook endpoints.</p>`
    : html`<table class="webhooks stack"><thead><tr><th scope="col">Endpoint</th><th scope="col">URL</th><th scope="col">State</th><th scope="col">Disabled reason</th><th scope="col">Events</th></tr></thead><tbody>
${endpoints.map(
  (e) => html`<tr id="endpoint-${e.id}">${cell('Endpoint', html`<a href="${endpointUrl(e.id)}">${nameOf(e)}</a><br><code>${e.id}</code>`)}
${cell('URL', html`<code class="detail">${e.url}</code>`)}${cell('State', badge(e.state))}${cell('Disabled reason', e.disabledReason || html`<span class="muted">—</span>`)}
${cell('Events', eventList(e.enabledEvents))}</tr>`,
)}
</tbody></table>`}`;
}

function attemptRow(a: DeliveryAttempt, endpoint: WebhookEndpoint, viewer: Viewer, resendable: boolean, now: number): SafeHtml {
  const form = resendable
    ? html`<form method="post" action="${endpointUrl(endpoint.id)}/events/${a.eventId}/resend" class="inline">${csrfField(viewer.csrf)}<button type="submit" class="secondary">Re-send</button></form>`
    : '';
  return html`<tr id="attempt-${a.eventId}-${a.attempt}">${cell('Time', when(a.at, now))}${cell('Event', html`<code>${a.eventType}</code><br><code>${a.eventId}</code>`)}
${cell('Attempt', a.attempt)}${cell('HTTP status', a.status ?? html`<span class="muted">no answer</span>`)}${cell('Latency', `${a.latencyMs} ms`)}
${cell('Error', a.error ?? html`<span class="muted">—</span>`)}${cell('Delivery', badge(a.deliveryState))}${cell('', form)}</tr>`;
}

function endpointBody(endpoint: WebhookEndpoint, attempts: DeliveryAttempt[], viewer: Viewer, now: number, messages: { error?: string; saved?: string }): SafeHtml {
  // one form per event, on its newest attempt (the log is newest first)
  const seen = new Set<string>();
  const rows = attempts.map((a) => {
    const first = !seen.has(a.eventId);
    seen.add(a.eventId);
    return attemptRow(a, endpoint, viewer, first && endpoint.state === 'enabled', now);
  });
  return html`${errorNotice(messages.error)}${savedNotice(messages.saved)}
<p><a href="/console/webhooks">All endpoints</a></p>
<dl class="facts card">
<dt>Endpoint id</dt><dd><code>${endpoint.id}</code></dd>
<dt>URL</dt><dd><code class="detail">${endpoint.url}</code></dd>
<dt>State</dt><dd>${badge(endpoint.state)}</dd>
<dt>Disabled reason</dt><dd>${endpoint.disabledReason || html`<span class="muted">—</span>`}</dd>
<dt>Events</dt><dd>${eventList(endpoint.enabledEvents)}</dd>
${endpoint.description ? html`<dt>Description</dt><dd>${endpoint.description}</dd>` : ''}
<dt>Created</dt><dd>${when(endpoint.createdAt, now)}</dd>
<dt>Updated</dt><dd>${when(endpoint.updatedAt, now)}</dd>
</dl>
<section id="log"><h2>Delivery log</h2>
${endpoint.state === 'disabled' ? html`<p class="muted">This endpoint is disabled: it receives nothing, and events cannot be re-sent until it is enabled again.</p>` : ''}
${attempts.length === 0
    ? html`<p class="muted">No delivery attempts yet.</p>`
    : html`<p class="muted">The ${attempts.length} most recent attempt${attempts.length === 1 ? '' : 's'}, newest first. A re-sent event keeps its webhook-id.</p>
<table class="stack"><thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Attempt</th><th scope="col">HTTP status</th><th scope="col">Latency</th><th scope="col">Error</th><th scope="col">Delivery</th><th scope="col"><span class="muted">Controls</span></th></tr></thead>
<tbody>${rows}</tbody></table>`}</section>`;
}

export function registerWebhookPages<Op extends WebhookPageOperator>(kit: ConsoleKit<Op>, deps: Deps): void {
  const missingEndpoint = (id: string) => notFound(`No webhook endpoint ${JSON.stringify(id)} in your organization.`);

  /** The operator's organization's endpoint, or 404 (another organization's included). */
  async function endpointOf(op: Op, id: string): Promise<WebhookEndpoint> {
    const endpoint = isWellFormedId('whep', id) ? await deps.store.webhooks.find(op.organizationId, id) : null;
    if (!endpoint) throw missingEndpoint(id);
    return endpoint;
  }

  async function renderEndpoint(reply: FastifyReply, op: Op, endpoint: WebhookEndpoint, status: number, limit: number, messages: { error?: string; saved?: string } = {}) {
    const attempts = await deps.store.webhooks.attempts(op.organizationId, endpoint.id, limit);
    return kit.send(reply, op, status, nameOf(endpoint), endpointBody(endpoint, attempts, op.viewer, deps.clock.now(op.organizationId), messages));
  }

  kit.page('/webhooks', async (op, _request, reply) => {
    const rows = await deps.store.webhooks.page(op.organizationId, { limit: ENDPOINT_CAP, order: 'desc', afterId: null, beforeId: null });
    return kit.send(reply, op, 200, 'Webhooks', endpointsBody(rows));
  });

  kit.page('/webhooks/:id', async (op, request, reply) => {
    const limitText = queryParam(request, 'limit');
    const limit = limitText === undefined ? LOG_SIZE : Number(limitText);
    if (!/^\d+$/.test(limitText ?? '1') || limit < 1 || limit > MAX_LOG_SIZE) {
      throw invalidRequest(`limit: must be a whole number from 1 to ${MAX_LOG_SIZE}.`);
    }
    const endpoint = await endpointOf(op, (request.params as { id: string }).id);
    return renderEndpoint(reply, op, endpoint, 200, limit, { saved: queryParam(request, 'saved') === 'resent' ? RESENT : undefined });
  });

  /** Re-send: the API's rules (the endpoint must be enabled, no attempt in flight); refusals re-render the log. */
  kit.form('/webhooks/:id/events/:eventId/resend', (params) => endpointUrl(params.id), async (op, params, reply) => {
    const endpoint = await endpointOf(op, params.id);
    const missing = notFound(`Webhook endpoint ${JSON.stringify(endpoint.id)} has no event ${JSON.stringify(params.eventId)}.`);
    if (!isWellFormedEventId(params.eventId)) throw missing;
    try {
      const outcome = await deps.store.webhooks.resend(op.organizationId, endpoint.id, params.eventId, deps.clock.now(op.organizationId));
      if (outcome === 'disabled') throw invalidRequest('This webhook endpoint is disabled; enable it before re-sending events.');
      if (outcome === 'missing') throw missing;
      if (outcome === 'in_flight') throw invalidRequest('An attempt to deliver this event is in flight; re-send it once that attempt has finished.');
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) return renderEndpoint(reply, op, endpoint, 400, LOG_SIZE, { error: `Not re-sent: ${error.message}` });
      throw error;
    }
    return reply.redirect(`${endpointUrl(endpoint.id)}?saved=resent#log`, 303);
  });
}
