import { formatTimestamp } from '../../../domain/time.js';
import type { DeliveryAttempt, WebhookEndpoint } from '../../../store/webhooks.js';

/** `BetaOrganizationWebhookEndpoint` (contract-2 §2.3): no `type` field; `""` for absent name, description, reason. */
export function renderEndpoint(endpoint: WebhookEndpoint) {
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

/** One entry of the delivery log (our extension). */
export function renderAttempt(attempt: DeliveryAttempt) {
  return {
    event_id: attempt.eventId,
    event_type: attempt.eventType,
    attempt: attempt.attempt,
    attempted_at: formatTimestamp(attempt.at),
    status: attempt.status,
    latency_ms: attempt.latencyMs,
    error: attempt.error,
    delivery_state: attempt.deliveryState,
  };
}
