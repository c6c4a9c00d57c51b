import type { FastifyRequest } from 'fastify';
import { notFound } from '../../../errors.js';
import { isWellFormedId } from '../../../ids.js';
import type { WebhookEndpoint } from '../../../store/webhooks.js';
import type { WebhookCall } from '../../webhook-admission.js';

export const endpointNotFound = (id: string) => notFound(`Webhook endpoint ${JSON.stringify(id)} not found.`);

/** The `webhook_endpoint_id` path parameter; an id we could never have minted is simply not found (decisions §22). */
export function endpointIdParam(request: FastifyRequest): string {
  const id = (request.params as { webhook_endpoint_id: string }).webhook_endpoint_id;
  if (!isWellFormedId('whep', id)) throw endpointNotFound(id);
  return id;
}

/** The caller's organization's endpoint named in the path, or 404 (another organization's endpoint included). */
export async function endpointOf({ request, principal, deps }: WebhookCall): Promise<WebhookEndpoint> {
  const id = endpointIdParam(request);
  const endpoint = await deps.store.webhooks.find(principal.organizationId, id);
  if (!endpoint) throw endpointNotFound(id);
  return endpoint;
}
