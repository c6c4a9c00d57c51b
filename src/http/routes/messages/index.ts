import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidRequest, permissionDenied } from '../../../errors.js';
import { billToOf, PROFILE_HEADER } from '../../../gateway/attribution.js';
import type { Caller, GatewayBody } from '../../../gateway/index.js';
import { parseJsonBody } from '../../json-body.js';
import { admitApiKey, singleHeader } from '../../admission.js';
import { queryParam } from '../../readers.js';
import type { Deps } from '../../route.js';

/**
 * Messages bodies are larger than profile bodies: images and documents travel in them. The hosted API takes
 * 32 MB on `/v1/messages`; uprof takes that on every gateway route (batches included, where the hosted API takes more).
 */
export const GATEWAY_BODY_LIMIT = 32 * 1024 * 1024;

const BATCH = '/v1/messages/batches/:message_batch_id';

/** The platform's uprof key (key, workspace, anthropic-version: `admitApiKey`); admin keys do no inference. */
async function admit(request: FastifyRequest, reply: FastifyReply, deps: Deps): Promise<Caller> {
  const { key, workspaceId } = await admitApiKey(request, reply, deps);
  if (key.role === 'admin') throw permissionDenied('Admin API keys cannot call the Messages API; use an API key.');
  return { organizationId: key.organizationId, workspaceId, keyId: key.id, requestId: request.id };
}

const bodyOf = (request: FastifyRequest) => request.body as GatewayBody | undefined;
const batchIdOf = (request: FastifyRequest) => (request.params as { message_batch_id: string }).message_batch_id;

/** `limit` 1–1000 (default 20), `after_id`, `before_id`: the hosted API's Message Batches list. */
function readPage(request: FastifyRequest) {
  const limitText = queryParam(request, 'limit');
  const limit = limitText === undefined ? 20 : Number(limitText);
  if (!/^\d+$/.test(limitText ?? '20') || limit < 1 || limit > 1000) throw invalidRequest('limit: a whole number from 1 to 1000.');
  const afterId = queryParam(request, 'after_id') ?? null;
  const beforeId = queryParam(request, 'before_id') ?? null;
  if (afterId !== null && beforeId !== null) throw invalidRequest('after_id, before_id: give one of them, not both.');
  return { limit, afterId, beforeId };
}

/**
 * The inference gateway's routes (src/gateway/; decisions §39): `/v1/messages` (JSON and streaming),
 * `/v1/messages/count_tokens` and Message Batches, also under `?beta=true`. Their bodies are kept as sent (they go
 * upstream byte for byte) besides being read as JSON, by a parser of their own.
 */
export async function registerMessageRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  const { gateway } = deps;
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: GATEWAY_BODY_LIMIT }, (_request, bytes, done) => {
      let body: GatewayBody;
      try {
        body = { bytes: bytes as Buffer, json: parseJsonBody(bytes as Buffer) };
      } catch (error) {
        done(error as Error, undefined);
        return;
      }
      done(null, body.json === undefined ? undefined : body);
    });
    const route = (method: 'GET' | 'POST', url: string, handle: (request: FastifyRequest, reply: FastifyReply, caller: Caller) => Promise<unknown>) =>
      scope.route({
        method,
        url,
        bodyLimit: GATEWAY_BODY_LIMIT,
        handler: async (request, reply) => handle(request, reply, await admit(request, reply, deps)),
      });
    const header = (request: FastifyRequest) => singleHeader(request, PROFILE_HEADER);

    route('POST', '/v1/messages', async (request, reply, caller) => {
      const profileId = await gateway.attribute(caller, header(request), billToOf(bodyOf(request)?.json));
      return gateway.messages(request, reply, caller, profileId, 'message', bodyOf(request));
    });
    // counting tokens bills nobody: billing_policy is accepted and ignored (SDK MessageCountTokensParams)
    route('POST', '/v1/messages/count_tokens', async (request, reply, caller) => {
      const profileId = await gateway.attribute(caller, header(request), null);
      return gateway.messages(request, reply, caller, profileId, 'count_tokens', bodyOf(request));
    });
    route('POST', '/v1/messages/batches', async (request, reply, caller) => {
      const profileId = await gateway.attribute(caller, header(request), null);
      return gateway.createBatch(request, reply, caller, profileId, bodyOf(request));
    });
    route('GET', '/v1/messages/batches', (request, reply, caller) => gateway.listBatches(request, reply, caller, readPage(request)));
    route('GET', BATCH, (request, reply, caller) => gateway.retrieveBatch(request, reply, caller, batchIdOf(request)));
    route('POST', `${BATCH}/cancel`, (request, reply, caller) => gateway.cancelBatch(request, reply, caller, batchIdOf(request)));
    route('GET', `${BATCH}/results`, (request, reply, caller) => gateway.batchResults(request, reply, caller, batchIdOf(request)));
  });
}
