import { Type, type Static } from '@sinclair/typebox';
import { Closed, Enum, Id, Nullable, Timestamp } from '../../../contract/schema.js';
import { EVENT_TYPES } from '../../../domain/events.js';
import { formatTimestamp } from '../../../domain/time.js';
import { EVENT_ID_PATTERN } from '../../../ids.js';
import type { DeliveryAttempt, WebhookEndpoint } from '../../../store/webhooks.js';
import { ENDPOINT_STATES } from './bodies.js';

const endpointFields = {
  id: Id('whep'),
  url: Type.String(),
  name: Type.String(),
  description: Type.String(),
  enabled_events: Type.Array(Enum(EVENT_TYPES)),
  state: Enum(ENDPOINT_STATES),
  disabled_reason: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
};

/** `BetaOrganizationWebhookEndpoint` (contract-2 §2.3): no `type` field; `""` for absent name, description, reason. */
export const EndpointSchema = Closed(endpointFields, { title: 'WebhookEndpoint' });
/** W1 and W6 are the only answers that show the signing secret. */
export const SigningSecret = Type.String({ pattern: '^whsec_' });
export const CreatedEndpointSchema = Closed({ ...endpointFields, signing_secret: SigningSecret }, { title: 'WebhookEndpointCreated' });

export function renderEndpoint(endpoint: WebhookEndpoint): Static<typeof EndpointSchema> {
  return {
    id: endpoint.id,
    url: endpoint.url,
    name: endpoint.name,
    description: endpoint.description,
    enabled_events: endpoint.enabledEvents,
    state: endpoint.state,
    disabled_reason: endpoint.disabledReason,
    created_at: formatTimestamp(endpoint.createdAt),
    updated_at: formatTimestamp(endpoint.updatedAt),
  };
}

export const AttemptSchema = Closed(
  {
    event_id: Type.String({ pattern: EVENT_ID_PATTERN }),
    event_type: Enum(EVENT_TYPES),
    attempt: Type.Integer({ minimum: 1 }),
    attempted_at: Timestamp,
    status: Nullable(Type.Integer()),
    latency_ms: Type.Number({ minimum: 0 }),
    error: Nullable(Type.String()),
    delivery_state: Type.String(),
  },
  { title: 'WebhookDeliveryAttempt' },
);

/** One entry of the delivery log (our extension). */
export function renderAttempt(attempt: DeliveryAttempt): Static<typeof AttemptSchema> {
  return {
    event_id: attempt.eventId,
    event_type: attempt.eventType as Static<typeof AttemptSchema>['event_type'],
    attempt: attempt.attempt,
    attempted_at: formatTimestamp(attempt.at),
    status: attempt.status,
    latency_ms: attempt.latencyMs,
    error: attempt.error,
    delivery_state: attempt.deliveryState,
  };
}
