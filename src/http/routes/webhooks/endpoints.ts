import { newId } from '../../../ids.js';
import { invalidRequest } from '../../../errors.js';
import type { WebhookEndpoint } from '../../../store/webhooks.js';
import { newSigningSecret } from '../../../webhooks/secrets.js';
import type { WebhookRoute } from '../../webhook-admission.js';
import { readCreateBody, readNoBody, readPageQuery, readUpdateBody } from './bodies.js';
import { endpointIdParam, endpointNotFound, endpointOf } from './params.js';
import { renderEndpoint } from './view.js';

/** contract-2 §2.4: enabled and disabled endpoints both count. */
export const ENDPOINT_CAP = 32;

const BASE = '/v1/organizations/webhooks';
const ONE = `${BASE}/:webhook_endpoint_id`;

/** W1 — POST /v1/organizations/webhooks: the only read besides W6 that shows `signing_secret`. */
export const createEndpoint: WebhookRoute = {
  method: 'POST',
  url: BASE,
  write: true,
  async handle({ request, principal, deps }) {
    const fields = readCreateBody(request.body, deps.config.webhooks.allowPrivateTargets);
    const now = deps.clock.now(principal.organizationId);
    const endpoint: WebhookEndpoint = {
      id: newId('whep', now),
      organizationId: principal.organizationId,
      ...fields,
      state: 'enabled',
      disabledReason: '',
      failedEvents: 0,
      createdAt: now,
      updatedAt: now,
    };
    const secret = newSigningSecret();
    if (!(await deps.store.webhooks.insert(endpoint, deps.secrets.seal(secret), ENDPOINT_CAP))) {
      throw invalidRequest(
        `This organization already has ${ENDPOINT_CAP} webhook endpoints, the maximum (enabled and disabled both count); delete one first.`,
      );
    }
    return { ...renderEndpoint(endpoint), signing_secret: secret };
  },
};

/** W2 — GET /v1/organizations/webhooks/{id} */
export const retrieveEndpoint: WebhookRoute = {
  method: 'GET',
  url: ONE,
  write: false,
  async handle(call) {
    return renderEndpoint(await endpointOf(call));
  },
};

/**
 * W3 — POST /v1/organizations/webhooks/{id}: only sent fields change; `updated_at` moves only when something
 * did. Enabling clears `disabled_reason` and the failure count; any change of state drops the queue
 * (events of the disabled period are never delivered — contract-2 §2.4).
 */
export const updateEndpoint: WebhookRoute = {
  method: 'POST',
  url: ONE,
  write: true,
  async handle(call) {
    const { principal, deps } = call;
    const fields = readUpdateBody(call.request.body, deps.config.webhooks.allowPrivateTargets);
    const id = endpointIdParam(call.request);
    const updated = await deps.store.webhooks.update(principal.organizationId, id, (current) => {
      const next: WebhookEndpoint = {
        ...current,
        url: fields.url ?? current.url,
        name: fields.name ?? current.name,
        description: fields.description ?? current.description,
        enabledEvents: fields.enabledEvents ?? current.enabledEvents,
      };
      if (fields.state !== undefined && fields.state !== current.state) {
        next.state = fields.state;
        if (fields.state === 'enabled') Object.assign(next, { disabledReason: '', failedEvents: 0 });
      }
      const changed =
        next.url !== current.url || next.name !== current.name || next.description !== current.description ||
        next.state !== current.state || JSON.stringify(next.enabledEvents) !== JSON.stringify(current.enabledEvents);
      return changed ? { ...next, updatedAt: Math.max(deps.clock.now(principal.organizationId), current.updatedAt) } : current;
    });
    if (!updated) throw endpointNotFound(id);
    return renderEndpoint(updated);
  },
};

/** W4 — GET /v1/organizations/webhooks: a `Page` (contract-2 §2.5). */
export const listEndpoints: WebhookRoute = {
  method: 'GET',
  url: BASE,
  write: false,
  async handle({ request, principal, deps }) {
    const query = readPageQuery(request);
    const rows = await deps.store.webhooks.page(principal.organizationId, query);
    const data = rows.slice(0, query.limit).map(renderEndpoint);
    return {
      data,
      has_more: rows.length > query.limit,
      first_id: data.length > 0 ? data[0].id : null,
      last_id: data.length > 0 ? data[data.length - 1].id : null,
    };
  },
};

/** W5 — DELETE /v1/organizations/webhooks/{id}: with its queue and log; a second delete is a 404. */
export const deleteEndpoint: WebhookRoute = {
  method: 'DELETE',
  url: ONE,
  write: true,
  async handle({ request, principal, deps }) {
    const id = endpointIdParam(request);
    if (!(await deps.store.webhooks.delete(principal.organizationId, id))) throw endpointNotFound(id);
    return { id, type: 'webhook_endpoint_deleted' };
  },
};

/** W6 — POST /v1/organizations/webhooks/{id}/regenerate_signing_secret: the old secret stops working at once. */
export const regenerateSigningSecret: WebhookRoute = {
  method: 'POST',
  url: `${ONE}/regenerate_signing_secret`,
  write: true,
  async handle({ request, principal, deps }) {
    readNoBody(request.body);
    const id = endpointIdParam(request);
    const secret = newSigningSecret();
    if (!(await deps.store.webhooks.setSecret(principal.organizationId, id, deps.secrets.seal(secret), deps.clock.now(principal.organizationId)))) {
      throw endpointNotFound(id);
    }
    return { signing_secret: secret };
  },
};
