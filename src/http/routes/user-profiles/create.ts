import { readProfileBody } from '../../../dialects/dialect.js';
import { newProfile } from '../../../domain/profile.js';
import { newId } from '../../../ids.js';
import { JsonBody, profileJson } from '../../rendered.js';
import { actorOf, type PlatformCall, type Route } from '../../route.js';

/** E1 — POST /v1/user_profiles: every field optional; `{}` makes a profile with the defaults. */
export const createUserProfile: Route<PlatformCall> = {
  method: 'POST',
  url: '/v1/user_profiles',
  contract: {
    id: 'createUserProfile',
    summary: 'Create a user profile',
    body: (dialect) => dialect.schemas.create,
    response: (dialect) => dialect.schemas.full,
  },
  async handle({ request, principal, dialect, deps }) {
    const now = deps.clock.now(principal.organizationId);
    const change = readProfileBody(dialect, request.body, 'create', now);
    const profile = newProfile(change, newId('uprof', now), principal.organizationId, now);
    await deps.store.profiles.insert(profile, actorOf(principal));
    return new JsonBody(profileJson(profile, dialect, 'full', now));
  },
};
