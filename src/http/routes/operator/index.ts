import { notFound } from '../../../errors.js';
import { isWellFormedId } from '../../../ids.js';
import type { OperatorRoute } from '../../operator.js';
import { profileIdParam } from '../../route.js';
import { readCheckResult, readCyberDecision, readEfsDecision, readNewAction } from './bodies.js';
import { pendingItems, renderHistory, renderOperatorProfile } from './view.js';
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
      const passed = readCheckResult(request.body);
      const profile = await deps.standing.reviewIdentityCheck(principal.organizationId, id, actor, actionIdParam(request), passed);
      return renderOperatorProfile(profile, deps.clock.now(principal.organizationId));
    },
  },
];
