import { NoBody } from '../../../contract/schema.js';
import { invalidRequest } from '../../../errors.js';
import { queryParam } from '../../readers.js';
import type { GatewayCall, Route } from '../../route.js';
import { batchIdOf, bodyOf, profileHeader } from './reads.js';
import {
  BatchParams, BatchResults, BetaQuery, ListQuery, MessageBatchCreateParams, MessageBatchList, MessageBatchSchema,
} from './schemas.js';

const BATCHES = '/v1/messages/batches';
const BATCH = `${BATCHES}/:message_batch_id`;

/** `limit` 1–1000 (default 20), `after_id`, `before_id`: the hosted API's Message Batches list. */
function readPage({ request }: GatewayCall) {
  const limitText = queryParam(request, 'limit');
  const limit = limitText === undefined ? 20 : Number(limitText);
  if (!/^\d+$/.test(limitText ?? '20') || limit < 1 || limit > 1000) throw invalidRequest('limit: a whole number from 1 to 1000.');
  const afterId = queryParam(request, 'after_id') ?? null;
  const beforeId = queryParam(request, 'before_id') ?? null;
  if (afterId !== null && beforeId !== null) throw invalidRequest('after_id, before_id: give one of them, not both.');
  return { limit, afterId, beforeId };
}

/** POST /v1/messages/batches: the header's profile applies to every request in it (src/gateway/batches.ts). */
export const createBatch: Route<GatewayCall> = {
  method: 'POST',
  url: BATCHES,
  contract: {
    id: 'createMessageBatch',
    summary: 'Create a Message Batch, attributed to a user profile',
    query: BetaQuery,
    body: MessageBatchCreateParams,
    bodyRequired: true,
    response: MessageBatchSchema,
  },
  async handle(call) {
    const profileId = await call.deps.gateway.attribute(call.principal, profileHeader(call), null);
    return call.deps.gateway.createBatch(call.request, call.reply, call.principal, profileId, bodyOf(call));
  },
};

/** GET /v1/messages/batches: the workspace's batches made through uprof, newest first. */
export const listBatches: Route<GatewayCall> = {
  method: 'GET',
  url: BATCHES,
  contract: { id: 'listMessageBatches', summary: "List the workspace's Message Batches made through uprof", query: ListQuery, response: MessageBatchList },
  handle: (call) => call.deps.gateway.listBatches(call.request, call.reply, call.principal, readPage(call)),
};

/** GET /v1/messages/batches/{id} */
export const retrieveBatch: Route<GatewayCall> = {
  method: 'GET',
  url: BATCH,
  contract: { id: 'retrieveMessageBatch', summary: 'Retrieve a Message Batch', params: BatchParams, query: BetaQuery, response: MessageBatchSchema },
  handle: (call) => call.deps.gateway.retrieveBatch(call.request, call.reply, call.principal, batchIdOf(call)),
};

/** POST /v1/messages/batches/{id}/cancel */
export const cancelBatch: Route<GatewayCall> = {
  method: 'POST',
  url: `${BATCH}/cancel`,
  contract: { id: 'cancelMessageBatch', summary: 'Cancel a Message Batch', params: BatchParams, query: BetaQuery, body: NoBody, response: MessageBatchSchema },
  handle: (call) => call.deps.gateway.cancelBatch(call.request, call.reply, call.principal, batchIdOf(call)),
};

/** GET /v1/messages/batches/{id}/results: JSON Lines, as `application/binary` like the hosted API. */
export const batchResults: Route<GatewayCall> = {
  method: 'GET',
  url: `${BATCH}/results`,
  contract: {
    id: 'messageBatchResults',
    summary: "A Message Batch's results, once it has ended (the first complete read counts its usage)",
    params: BatchParams,
    query: BetaQuery,
    media: { 'application/binary': BatchResults },
  },
  handle: (call) => call.deps.gateway.batchResults(call.request, call.reply, call.principal, batchIdOf(call)),
};
