import { admitGateway } from '../../admission.js';
import type { Api, GatewayCall, Route } from '../../route.js';
import { batchResults, cancelBatch, createBatch, listBatches, retrieveBatch } from './batches.js';
import { countTokens, createMessage } from './messages.js';

/**
 * Messages bodies are larger than profile bodies: images and documents travel in them. The hosted API takes
 * 32 MB on `/v1/messages`; uprof takes that on every gateway route (batches included, where the hosted API takes more).
 */
export const GATEWAY_BODY_LIMIT = 32 * 1024 * 1024;

/**
 * The inference gateway (src/gateway/; decisions §39): the platform's API key, then attribution in each handler.
 * Never a forced fault: the emulator's faults are named for the User Profiles and webhook routes (README, *Emulator*).
 */
export const gatewayApi: Api<GatewayCall> = { name: 'Messages', admit: admitGateway, faults: false, bodyLimit: GATEWAY_BODY_LIMIT };

/**
 * `/v1/messages` (JSON and streaming), `/v1/messages/count_tokens` and Message Batches, also under `?beta=true`.
 * Their bodies go upstream as the bytes that came (`request.bodyBytes`), besides being read as JSON.
 */
export const messageRoutes: readonly Route<GatewayCall>[] = [
  createMessage,
  countTokens,
  createBatch,
  listBatches,
  retrieveBatch,
  cancelBatch,
  batchResults,
];
