import { ACTION_URL_TTL_MS } from '../../../domain/link-token.js';
import { describeType } from '../../../domain/text.js';
import { invalidRequest } from '../../../errors.js';
import { Type } from '@sinclair/typebox';
import { Closed, Enum, LinkFields, Params } from '../../../contract/schema.js';
import { mintLink } from '../../../links.js';
import { profileIdParam } from '../../readers.js';
import type { PlatformCall, Route } from '../../route.js';

const ACTION_TYPES = ['enroll_end_user'] as const;

/** The body is `{"action": {"type": "enroll_end_user"}}`, a union of one variant; nothing else is accepted. */
export function readActionBody(value: unknown): void {
  const body = value === undefined ? {} : value; // no body is `{}`, which lacks the action (decisions §35)
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest(`The request body must be a JSON object with an "action", got ${describeType(body)}.`);
  }
  for (const field of Object.keys(body)) if (field !== 'action') throw invalidRequest(`${field}: unknown field.`);
  const action = (body as { action?: unknown }).action;
  if (action === undefined) throw invalidRequest('action: required.');
  if (typeof action !== 'object' || action === null || Array.isArray(action)) {
    throw invalidRequest(`action: expected an object, got ${describeType(action)}.`);
  }
  for (const field of Object.keys(action)) if (field !== 'type') throw invalidRequest(`action.${field}: unknown field.`);
  const type = (action as { type?: unknown }).type;
  if (typeof type !== 'string' || !(ACTION_TYPES as readonly string[]).includes(type)) {
    throw invalidRequest(`action.type: must be one of ${ACTION_TYPES.map((t) => `"${t}"`).join(', ')}.`);
  }
}

/** E7 — POST /v1/user_profiles/{id}/action_urls (GA and beta): a link that lives 60 minutes. */
export const createActionUrl: Route<PlatformCall> = {
  method: 'POST',
  url: '/v1/user_profiles/:user_profile_id/action_urls',
  contract: {
    id: 'createActionUrl',
    summary: 'Create an action URL',
    params: Params('user_profile_id'),
    body: Closed({ action: Closed({ type: Enum(ACTION_TYPES) }) }, { title: 'CreateActionUrl' }),
    bodyRequired: true,
    response: Closed({ type: Type.Literal('user_profile_action_url'), ...LinkFields }, { title: 'ActionUrl' }),
  },
  async handle({ request, principal, deps }) {
    const id = profileIdParam(request);
    readActionBody(request.body);
    const link = await mintLink(deps, principal.organizationId, id, 'action', ACTION_URL_TTL_MS);
    return { type: 'user_profile_action_url', ...link };
  },
};
