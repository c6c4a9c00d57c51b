import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatTimestamp } from '../domain/time.js';
import { ApiError, invalidRequest, notFound } from '../errors.js';
import type { Deps } from '../http/route.js';
import { ENDPOINT_CAP } from '../http/routes/webhooks/endpoints.js';
import { isWellFormedId } from '../ids.js';
import { html, type SafeHtml } from '../pages/html.js';
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
const EVENT_ID = /^whe_[0-9a-f]{32}$/;
const endpointUrl = (id: string) => `/console/webhooks/${encodeURIComponent(id)}`;
const RESENT = 'Event queued for re-delivery, under its original webhook-id.';

const when = (ms: number) => html`<time>${formatTimestamp(ms)}</time>`;
const csrfInput = (viewer: Viewer) => html`<input type="hidden" name="csrf" value="${viewer.csrf}">`;
const notice = (error: string | undefined) => (error ? html`<p class="error" role="alert">${error}</p>` : '');
/** the stylesheet's status colours: green for good, amber for waiting, red for trouble, grey for over */
const TONE: Record<string, string> = { enabled: 'active', disabled: 'rejected', delivered: 'active', pending: 'pending', failed: 'rejected', dropped: 'inactive' };
const badge = (state: string) => html`<span class="status ${TONE[state] ?? 'none'}">${state}</span>`;
const eventList = (events: readonly string[]) => html`<ul class="plain">${events.map((e) => html`<li><code>${e}</code></li>`)}</ul>`;
const nameOf = (e: WebhookEndpoint) => e.name || 'Unnamed endpoint';

function endpointsBody(endpoints: WebhookEndpoint[]): SafeHtml {
  return html`<p class="muted">Endpoints receive this organization's events, signed. Create and change them through the API
(<code>/v1/organizations/webhooks</code>, beta <code>webhooks-2026-10-07</code>); here you can follow their deliveries and re-send events.</p>
${endpoints.length === 0
    ? html`<p class="notice">No webhook endpoints.</p>`
    : html`<table class="webhooks"><thead><tr><th>Endpoint</th><th>URL</th><th>State</th><th>Disabled reason</th><th>Events</th></tr></thead><tbody>
${endpoints.map(
  (e) => html`<tr id="endpoint-${e.id}"><td><a href="${endpointUrl(e.id)}">${nameOf(e)}</a><br><code>${e.id}</code></td>
<td><code class="detail">${e.url}</code></td><td>${badge(e.state)}</td><td>${e.disabledReason || html`<span class="muted">—</span>`}</td>
<td>${eventList(e.enabledEvents)}</td></tr>`,
)}
</tbody></table>`}`;
}

function attemptRow(a: DeliveryAttempt, endpoint: WebhookEndpoint, viewer: Viewer, resendable: boolean): SafeHtml {
  const form = resendable
    ? html`<form method="post" action="${endpointUrl(endpoint.id)}/events/${a.eventId}/resend" class="inline">${csrfInput(viewer)}<button type="submit" class="secondary">Re-send</button></form>`
    : '';
  return html`<tr id="attempt-${a.eventId}-${a.attempt}"><td>${when(a.at)}</td><td><code>${a.eventType}</code><br><code>${a.eventId}</code></td>
<td>${a.attempt}</td><td>${a.status ?? html`<span class="muted">no answer</span>`}</td><td>${a.latencyMs} ms</td>
<td>${a.error ?? html`<span class="muted">—</span>`}</td><td>${badge(a.deliveryState)}</td><td class="controls">${form}</td></tr>`;
}

function endpointBody(endpoint: WebhookEndpoint, attempts: DeliveryAttempt[], viewer: Viewer, messages: { error?: string; saved?: string }): SafeHtml {
  // one form per event, on its newest attempt (the log is newest first)
  const seen = new Set<string>();
  const rows = attempts.map((a) => {
    const first = !seen.has(a.eventId);
    seen.add(a.eventId);
    return attemptRow(a, endpoint, viewer, first && endpoint.state === 'enabled');
  });
  return html`${notice(messages.error)}${messages.saved ? html`<p class="notice" role="status">${messages.saved}</p>` : ''}
<p class="muted"><code>${endpoint.id}</code> · created ${when(endpoint.createdAt)} · updated ${when(endpoint.updatedAt)} · <a href="/console/webhooks">All endpoints</a></p>
<table class="endpoint"><tbody>
<tr><th scope="row">URL</th><td><code class="detail">${endpoint.url}</code></td></tr>
<tr><th scope="row">State</th><td>${badge(endpoint.state)}</td></tr>
<tr><th scope="row">Disabled reason</th><td>${endpoint.disabledReason || html`<span class="muted">—</span>`}</td></tr>
<tr><th scope="row">Events</th><td>${eventList(endpoint.enabledEvents)}</td></tr>
${endpoint.description ? html`<tr><th scope="row">Description</th><td>${endpoint.description}</td></tr>` : ''}
</tbody></table>
<section id="log"><h2>Delivery log</h2>
${endpoint.state === 'disabled' ? html`<p class="muted">This endpoint is disabled: it receives nothing, and events cannot be re-sent until it is enabled again.</p>` : ''}
${attempts.length === 0
    ? html`<p class="muted">No delivery attempts yet.</p>`
    : html`<p class="muted">The ${attempts.length} most recent attempt${attempts.length === 1 ? '' : 's'}, newest first. A re-sent event keeps its webhook-id.</p>
<table class="history"><thead><tr><th>Time (UTC)</th><th>Event</th><th>Attempt</th><th>HTTP status</th><th>Latency</th><th>Error</th><th>Delivery</th><th></th></tr></thead>
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
    return kit.send(reply, op, status, nameOf(endpoint), endpointBody(endpoint, attempts, op.viewer, messages));
  }

  kit.page('/webhooks', async (op, _request, reply) => {
    const rows = await deps.store.webhooks.page(op.organizationId, { limit: ENDPOINT_CAP, order: 'desc', afterId: null, beforeId: null });
    return kit.send(reply, op, 200, 'Webhooks', endpointsBody(rows));
  });

  kit.page('/webhooks/:id', async (op, request, reply) => {
    const query = request.query as Record<string, unknown>;
    const limitText = typeof query.limit === 'string' ? query.limit : undefined;
    const limit = limitText === undefined ? LOG_SIZE : Number(limitText);
    if (!/^\d+$/.test(limitText ?? '1') || limit < 1 || limit > MAX_LOG_SIZE) {
      throw invalidRequest(`limit: must be a whole number from 1 to ${MAX_LOG_SIZE}.`);
    }
    const endpoint = await endpointOf(op, (request.params as { id: string }).id);
    return renderEndpoint(reply, op, endpoint, 200, limit, { saved: query.saved === 'resent' ? RESENT : undefined });
  });

  /** Re-send: the API's rules (the endpoint must be enabled, no attempt in flight); refusals re-render the log. */
  kit.form('/webhooks/:id/events/:eventId/resend', (params) => endpointUrl(params.id), async (op, params, reply) => {
    const endpoint = await endpointOf(op, params.id);
    const missing = notFound(`Webhook endpoint ${JSON.stringify(endpoint.id)} has no event ${JSON.stringify(params.eventId)}.`);
    if (!EVENT_ID.test(params.eventId)) throw missing;
    try {
      if (endpoint.state === 'disabled') throw invalidRequest('This webhook endpoint is disabled; enable it before re-sending events.');
      const outcome = await deps.store.webhooks.resend(op.organizationId, endpoint.id, params.eventId, deps.clock.now(op.organizationId));
      if (outcome === 'missing') throw missing;
      if (outcome === 'in_flight') throw invalidRequest('An attempt to deliver this event is in flight; re-send it once that attempt has finished.');
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) return renderEndpoint(reply, op, endpoint, 400, LOG_SIZE, { error: `Not re-sent: ${error.message}` });
      throw error;
    }
    return reply.redirect(`${endpointUrl(endpoint.id)}?saved=resent#log`, 303);
  });
}
