import { Type } from '@sinclair/typebox';
import { Closed, NoBody, Params } from '../../../contract/schema.js';
import { invalidRequest, notFound } from '../../../errors.js';
import { isWellFormedEventId } from '../../../ids.js';
import type { Route } from '../../route.js';
import { LogQuery, readLogLimit, readNoBody } from './bodies.js';
import { endpointOf } from './params.js';
import { AttemptSchema, renderAttempt } from './view.js';

const DELIVERIES = '/v1/organizations/webhooks/:webhook_endpoint_id/deliveries';

/** Extension — GET …/{id}/deliveries?limit=: the endpoint's delivery attempts, newest first. */
export const listDeliveries: Route = {
  method: 'GET',
  url: DELIVERIES,
  write: false,
  contract: {
    id: 'listWebhookDeliveries',
    summary: "List a webhook endpoint's delivery attempts (uprof extension)",
    params: Params('webhook_endpoint_id'),
    query: LogQuery,
    response: Closed({ data: Type.Array(AttemptSchema) }, { title: 'WebhookDeliveryAttemptList' }),
  },
  async handle(call) {
    const limit = readLogLimit(call.request);
    const endpoint = await endpointOf(call);
    const attempts = await call.deps.store.webhooks.attempts(endpoint.organizationId, endpoint.id, limit);
    return { data: attempts.map(renderAttempt) };
  },
};

/** Extension — POST …/{id}/deliveries/{event_id}/resend: queue one event again, same `webhook-id`. */
export const resendDelivery: Route = {
  method: 'POST',
  url: `${DELIVERIES}/:event_id/resend`,
  write: true,
  contract: {
    id: 'resendWebhookDelivery',
    summary: 'Queue one event again for an endpoint (uprof extension)',
    params: Params('webhook_endpoint_id', 'event_id'),
    body: NoBody,
    response: Closed(
      { endpoint_id: Type.String(), event_id: Type.String(), delivery_state: Type.Literal('pending') },
      { title: 'WebhookResend' },
    ),
  },
  async handle(call) {
    readNoBody(call.request.body);
    const endpoint = await endpointOf(call);
    const eventId = (call.request.params as { event_id: string }).event_id;
    const missing = notFound(`Webhook endpoint ${JSON.stringify(endpoint.id)} has no event ${JSON.stringify(eventId)}.`);
    if (!isWellFormedEventId(eventId)) throw missing;
    const outcome = await call.deps.store.webhooks.resend(endpoint.organizationId, endpoint.id, eventId, call.deps.clock.now(endpoint.organizationId));
    // a disabled endpoint receives nothing; a queued re-send would slip out the moment it is enabled
    if (outcome === 'disabled') throw invalidRequest('This webhook endpoint is disabled; enable it before re-sending events.');
    if (outcome === 'missing') throw missing;
    if (outcome === 'in_flight') throw invalidRequest('An attempt to deliver this event is in flight; re-send it once that attempt has finished.');
    return { endpoint_id: endpoint.id, event_id: eventId, delivery_state: 'pending' };
  },
};
