import { ENROLLMENT_URL_TTL_MS } from '../../../domain/link-token.js';
import { describeType } from '../../../domain/text.js';
import { invalidRequest } from '../../../errors.js';
import { Type } from '@sinclair/typebox';
import { Closed, LinkFields, NoBody, Params } from '../../../contract/schema.js';
import { mintLink } from '../../../links.js';
import { profileIdParam } from '../../readers.js';
import type { PlatformCall, Route } from '../../route.js';

/** E6 — POST /v1/user_profiles/{id}/enrollment_url (beta only): no body; a link that lives 15 minutes. */
export const createEnrollmentUrl: Route<PlatformCall> = {
  method: 'POST',
  url: '/v1/user_profiles/:user_profile_id/enrollment_url',
  contract: {
    id: 'createEnrollmentUrl',
    summary: 'Create an enrollment URL (beta surface only)',
    params: Params('user_profile_id'),
    body: NoBody,
    response: Closed({ type: Type.Literal('enrollment_url'), ...LinkFields }, { title: 'EnrollmentUrl' }),
  },
  betaOnly: true,
  async handle({ request, principal, deps }) {
    const id = profileIdParam(request);
    const body = request.body;
    if (body !== undefined && body !== null) {
      if (typeof body !== 'object' || Array.isArray(body)) throw invalidRequest(`This endpoint takes no body, got ${describeType(body)}.`);
      const [field] = Object.keys(body);
      if (field !== undefined) throw invalidRequest(`${field}: unknown field; this endpoint takes no body.`);
    }
    const link = await mintLink(deps, principal.organizationId, id, 'enrollment', ENROLLMENT_URL_TTL_MS);
    return { type: 'enrollment_url', ...link };
  },
};
