import { PROFILE_HEADER } from '../../../gateway/attribution.js';
import type { GatewayBody } from '../../../gateway/index.js';
import { singleHeader } from '../../admission.js';
import type { GatewayCall } from '../../route.js';

/**
 * A gateway route's JSON body: its bytes as sent (what goes upstream, byte for byte) and their JSON (what uprof
 * reads), both from the server's JSON parser (http/json-body.ts); none when no JSON body came.
 */
export const bodyOf = ({ request }: GatewayCall): GatewayBody | undefined =>
  request.bodyBytes === null || request.body === undefined ? undefined : { bytes: request.bodyBytes, json: request.body };

/** The profile the request names (`anthropic-user-profile-id`), for attribution (decisions §39). */
export const profileHeader = ({ request }: GatewayCall) => singleHeader(request, PROFILE_HEADER);

export const batchIdOf = ({ request }: GatewayCall) => (request.params as { message_batch_id: string }).message_batch_id;
