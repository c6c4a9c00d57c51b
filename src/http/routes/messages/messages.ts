import { billToOf } from '../../../gateway/attribution.js';
import type { GatewayCall, Route } from '../../route.js';
import { bodyOf, profileHeader } from './reads.js';
import { BetaQuery, MessageCountTokensParams, MessageCreateParams, MessageSchema, MessageStream, MessageTokensCount } from './schemas.js';

/** POST /v1/messages: a Message, or with `"stream": true` its server-sent events, from the stub model or the upstream. */
export const createMessage: Route<GatewayCall> = {
  method: 'POST',
  url: '/v1/messages',
  // the answer may be a stream, which cannot be kept and replayed (decisions §51)
  idempotencyKey: false,
  contract: {
    id: 'createMessage',
    summary: 'Create a Message (JSON, or server-sent events with "stream": true), attributed to a user profile',
    query: BetaQuery,
    body: MessageCreateParams,
    bodyRequired: true,
    response: MessageSchema,
    media: { 'text/event-stream': MessageStream },
  },
  async handle(call) {
    const body = bodyOf(call);
    const profileId = await call.deps.gateway.attribute(call.principal, profileHeader(call), billToOf(body?.json));
    return call.deps.gateway.messages(call.request, call.reply, call.principal, profileId, 'message', body);
  },
};

/** POST /v1/messages/count_tokens: counting tokens bills nobody, so billing_policy is accepted and ignored (SDK MessageCountTokensParams). */
export const countTokens: Route<GatewayCall> = {
  method: 'POST',
  url: '/v1/messages/count_tokens',
  contract: {
    id: 'countMessageTokens',
    summary: "Count a Message's input tokens, attributed to a user profile",
    query: BetaQuery,
    body: MessageCountTokensParams,
    bodyRequired: true,
    response: MessageTokensCount,
  },
  async handle(call) {
    const profileId = await call.deps.gateway.attribute(call.principal, profileHeader(call), null);
    return call.deps.gateway.messages(call.request, call.reply, call.principal, profileId, 'count_tokens', bodyOf(call));
  },
};
