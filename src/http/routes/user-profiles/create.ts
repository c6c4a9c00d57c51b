import { readProfileBody } from '../../../dialects/dialect.js';
import { newProfile } from '../../../domain/profile.js';
import { newId } from '../../../ids.js';
import { JsonBody, profileJson } from '../../rendered.js';
import { actorOf, type PlatformRoute } from '../../route.js';

/** E1 — POST /v1/user_profiles: every field optional; `{}` makes a profile with the defaults. */
export const createUserProfile: PlatformRoute = {
  method: 'POST',
  url: '/v1/user_profiles',
  async handle({ request, principal, dialect, deps }) {
    const now = deps.clock.now(principal.organizationId);
    const change = readProfileBody(dialect, request.body === undefined ? {} : request.body, 'create', now);
    const profile = newProfile(change, newId('uprof', now), principal.organizationId, now);
    await deps.store.profiles.insert(profile, actorOf(principal));
    return new JsonBody(profileJson(profile, dialect, 'full', now));
  },
};
