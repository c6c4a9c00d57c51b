import type { Route } from '../../route.js';
import { listDeliveries, resendDelivery } from './deliveries.js';
import {
  createEndpoint, deleteEndpoint, listEndpoints, regenerateSigningSecret, retrieveEndpoint, updateEndpoint,
} from './endpoints.js';

/** Organization webhooks (contract-2 §2, W1–W6) and the delivery log extension; one gate and auth for all. */
export const webhookRoutes: readonly Route[] = [
  createEndpoint,
  retrieveEndpoint,
  updateEndpoint,
  listEndpoints,
  deleteEndpoint,
  regenerateSigningSecret,
  listDeliveries,
  resendDelivery,
];
