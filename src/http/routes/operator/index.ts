import { notFound } from '../../../errors.js';
import { isWellFormedId } from '../../../ids.js';
import type { OperatorRoute } from '../../operator.js';
import { profileIdParam } from '../../route.js';
import { readCheckResult, readCyberDecision, readEfsDecision, readNewAction } from './bodies.js';
import { pendingItems, renderHistory, renderOperatorProfile } from './view.js';
import { readProfileSearch, searchProfiles } from './search.js';
import { readBrandingChange, readKeyName, renderBranding } from './settings.js';
import { profileNotFound } from '../../../errors.js';
import type { FastifyRequest } from 'fastify';

const PROFILE = '/v1/operator/user_profiles/:user_profile_id';

function actionIdParam(request: FastifyRequest): string {
  const id = (request.params as { action_id: string }).action_id;
  if (!isWellFormedId('enac', id)) throw notFound(`No enforcement action ${JSON.stringify(id)} on this profile.`);
  return id;
}

/**
 * The operator API: every review-console action as JSON, for automation and tests (decisions §24).
 * Operator keys only; every call is scoped to the key's organization.
 */
export const operatorRoutes: readonly OperatorRoute[] = [
  {
    method: 'GET',
    url: '/v1/operator/review_queue',
    async handle({ principal, deps }) {
      const profiles = await deps.store.profiles.awaitingReview(principal.organizationId);
      return { data: profiles.map((p) => ({ user_profile_id: p.id, name: p.name, items: pendingItems(p) })) };
    },
  },
  {
    method: 'GET',
    url: '/v1/operator/user_profiles',
    async handle({ request, principal, deps }) {
      const search = readProfileSearch(request.query as Record<string, string | string[] | undefined>);
      const { profiles, nextPage } = await searchProfiles(deps, principal.organizationId, search);
      const now = deps.clock.now(principal.organizationId);
      return { data: profiles.map((p) => renderOperatorProfile(p, now)), next_page: nextPage };
    },
  },
  {
    method: 'GET',
    url: '/v1/operator/organization',
    async handle({ principal, deps }) {
      return renderBranding(deps, principal.organizationId);
    },
  },
  {
    method: 'POST',
    url: '/v1/operator/organization/branding',
    async handle({ request, principal, deps }) {
      await deps.store.tenancy.setBranding(principal.organizationId, readBrandingChange(request.body));
      return renderBranding(deps, principal.organizationId);
    },
  },
  {
    method: 'POST',
    url: '/v1/operator/api_keys/:key_id',
    async handle({ request, principal, deps }) {
      const id = (request.params as { key_id: string }).key_id;
      const missing = notFound(`No API key ${JSON.stringify(id)} in your organization.`);
      if (!isWellFormedId('apikey', id)) throw missing;
      const name = readKeyName(request.body);
      if (!(await deps.store.tenancy.setKeyName(principal.organizationId, id, name))) throw missing;
      const label = (await deps.store.tenancy.keyLabels(principal.organizationId, [id])).get(id)!;
      return { type: 'api_key', id, name: label.name, hint: `…${label.hint}`, role: label.role };
    },
  },
  {
    method: 'GET',
    url: PROFILE,
    async handle({ request, principal, deps }) {
      const id = profileIdParam(request);
      const profile = await deps.store.profiles.find(principal.organizationId, id);
      if (!profile) throw profileNotFound(id);
      return renderOperatorProfile(profile, deps.clock.now(principal.organizationId));
    },
  },
  {
    method: 'GET',
    url: `${PROFILE}/history`,
    async handle({ request, principal, deps }) {
      const id = profileIdParam(request);
      if (!(await deps.store.profiles.find(principal.organizationId, id))) throw profileNotFound(id);
      return renderHistory(await deps.store.profiles.history(principal.organizationId, id));
    },
  },
  {
    method: 'POST',
    url: `${PROFILE}/programs/cyber`,
    async handle({ request, principal, actor, deps }) {
      const id = profileIdParam(request);
      const profile = await deps.standing.decideCyber(principal.organizationId, id, actor, readCyberDecision(request.body));
      return renderOperatorProfile(profile, deps.clock.now(principal.organizationId));
    },
  },
  {
    method: 'POST',
    url: `${PROFILE}/programs/efs`,
    async handle({ request, principal, actor, deps }) {
      const id = profileIdParam(request);
      const profile = await deps.standing.decideEfs(principal.organizationId, id, actor, readEfsDecision(request.body));
      return renderOperatorProfile(profile, deps.clock.now(principal.organizationId));
    },
  },
  {
    method: 'POST',
    url: `${PROFILE}/enforcement_actions`,
    async handle({ request, principal, actor, deps }) {
      const id = profileIdParam(request);
      const { profile, action } = await deps.standing.openAction(principal.organizationId, id, actor, readNewAction(request.body));
      return { ...renderOperatorProfile(profile, deps.clock.now(principal.organizationId)), opened_action_id: action.id };
    },
  },
  {
    method: 'POST',
    url: `${PROFILE}/enforcement_actions/:action_id/resolve`,
    async handle({ request, principal, actor, deps }) {
      const profile = await deps.standing.resolveAction(principal.organizationId, profileIdParam(request), actor, actionIdParam(request));
      return renderOperatorProfile(profile, deps.clock.now(principal.organizationId));
    },
  },
  {
    method: 'POST',
    url: `${PROFILE}/enforcement_actions/:action_id/identity_check`,
    async handle({ request, principal, actor, deps }) {
      const id = profileIdParam(request);
      const { passed, note } = readCheckResult(request.body);
      const profile = await deps.standing.reviewIdentityCheck(principal.organizationId, id, actor, actionIdParam(request), passed, note);
      return renderOperatorProfile(profile, deps.clock.now(principal.organizationId));
    },
  },
];
