import type { FastifyRequest } from 'fastify';
import { notFound } from '../../../errors.js';
import type { WebhookEndpoint } from '../../../store/webhooks.js';
import { idParam } from '../../readers.js';
import type { Call } from '../../route.js';

export const endpointNotFound = (id: string) => notFound(`Webhook endpoint ${JSON.stringify(id)} not found.`);

/** The `webhook_endpoint_id` path parameter. */
export const endpointIdParam = (request: FastifyRequest): string => idParam(request, 'webhook_endpoint_id', 'whep', endpointNotFound);

/** The caller's organization's endpoint named in the path, or 404 (another organization's endpoint included). */
export async function endpointOf({ request, principal, deps }: Call): Promise<WebhookEndpoint> {
  const id = endpointIdParam(request);
  const endpoint = await deps.store.webhooks.find(principal.organizationId, id);
  if (!endpoint) throw endpointNotFound(id);
  return endpoint;
}
