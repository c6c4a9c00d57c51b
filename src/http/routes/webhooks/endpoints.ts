import { Type } from '@sinclair/typebox';
import { Closed, Id, NoBody, Nullable, Params } from '../../../contract/schema.js';
import { newId } from '../../../ids.js';
import { invalidRequest } from '../../../errors.js';
import type { WebhookEndpoint } from '../../../store/webhooks.js';
import { ENDPOINT_CAP } from '../../../webhooks/limits.js';
import { newSigningSecret } from '../../../webhooks/secrets.js';
import type { Route } from '../../route.js';
import { CreateEndpointBody, PageQuery, readCreateBody, readNoBody, readPageQuery, readUpdateBody, UpdateEndpointBody } from './bodies.js';
import { endpointIdParam, endpointNotFound, endpointOf } from './params.js';
import { CreatedEndpointSchema, EndpointSchema, renderEndpoint, SigningSecret } from './view.js';

const EndpointParams = Params('webhook_endpoint_id');

const BASE = '/v1/organizations/webhooks';
const ONE = `${BASE}/:webhook_endpoint_id`;

/** W1 — POST /v1/organizations/webhooks: the only read besides W6 that shows `signing_secret`. */
export const createEndpoint: Route = {
  method: 'POST',
  url: BASE,
  write: true,
  contract: {
    id: 'createWebhookEndpoint',
    summary: 'Create a webhook endpoint',
    body: CreateEndpointBody,
    bodyRequired: true,
    response: CreatedEndpointSchema,
  },
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
export const retrieveEndpoint: Route = {
  method: 'GET',
  url: ONE,
  write: false,
  contract: { id: 'retrieveWebhookEndpoint', summary: 'Retrieve a webhook endpoint', params: EndpointParams, response: EndpointSchema },
  async handle(call) {
    return renderEndpoint(await endpointOf(call));
  },
};

/**
 * W3 — POST /v1/organizations/webhooks/{id}: only sent fields change; `updated_at` moves only when something
 * did. Enabling clears `disabled_reason` and the failure count; any change of state drops the queue
 * (events of the disabled period are never delivered — contract-2 §2.4).
 */
export const updateEndpoint: Route = {
  method: 'POST',
  url: ONE,
  write: true,
  contract: {
    id: 'updateWebhookEndpoint',
    summary: 'Update a webhook endpoint',
    params: EndpointParams,
    body: UpdateEndpointBody,
    response: EndpointSchema,
  },
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
export const listEndpoints: Route = {
  method: 'GET',
  url: BASE,
  write: false,
  contract: {
    id: 'listWebhookEndpoints',
    summary: 'List webhook endpoints',
    query: PageQuery,
    response: Closed(
      { data: Type.Array(EndpointSchema), has_more: Type.Boolean(), first_id: Nullable(Id('whep')), last_id: Nullable(Id('whep')) },
      { title: 'WebhookEndpointPage' },
    ),
  },
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
export const deleteEndpoint: Route = {
  method: 'DELETE',
  url: ONE,
  write: true,
  contract: {
    id: 'deleteWebhookEndpoint',
    summary: 'Delete a webhook endpoint',
    params: EndpointParams,
    response: Closed({ id: Id('whep'), type: Type.Literal('webhook_endpoint_deleted') }, { title: 'WebhookEndpointDeleted' }),
  },
  async handle({ request, principal, deps }) {
    const id = endpointIdParam(request);
    if (!(await deps.store.webhooks.delete(principal.organizationId, id))) throw endpointNotFound(id);
    return { id, type: 'webhook_endpoint_deleted' };
  },
};

/** W6 — POST /v1/organizations/webhooks/{id}/regenerate_signing_secret: the old secret stops working at once. */
export const regenerateSigningSecret: Route = {
  method: 'POST',
  url: `${ONE}/regenerate_signing_secret`,
  write: true,
  contract: {
    id: 'regenerateWebhookSigningSecret',
    summary: "Regenerate a webhook endpoint's signing secret",
    params: EndpointParams,
    body: NoBody,
    response: Closed({ signing_secret: SigningSecret }, { title: 'WebhookSigningSecret' }),
  },
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
