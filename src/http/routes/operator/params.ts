import type { FastifyRequest } from 'fastify';
import { Params } from '../../../contract/schema.js';
import { notFound } from '../../../errors.js';
import { idParam } from '../../readers.js';

/** The operator's view of one profile: every operation on it lives under this path. */
export const PROFILE = '/v1/operator/user_profiles/:user_profile_id';
export const ProfileParams = Params('user_profile_id');
export const ActionParams = Params('user_profile_id', 'action_id');

/** The `action_id` path parameter. */
export const actionIdParam = (request: FastifyRequest): string =>
  idParam(request, 'action_id', 'enac', (id) => notFound(`No enforcement action ${JSON.stringify(id)} on this profile.`));
