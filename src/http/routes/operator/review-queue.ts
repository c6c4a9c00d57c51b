import { Type } from '@sinclair/typebox';
import { Closed, Id, Nullable } from '../../../contract/schema.js';
import type { OperatorCall, Route } from '../../route.js';
import { pendingItems } from './view.js';

/** GET /v1/operator/review_queue: the profiles with something awaiting the provider. */
export const reviewQueue: Route<OperatorCall> = {
  method: 'GET',
  url: '/v1/operator/review_queue',
  contract: {
    id: 'operatorReviewQueue',
    summary: 'The profiles awaiting review',
    response: Closed(
      { data: Type.Array(Closed({ user_profile_id: Id('uprof'), name: Nullable(Type.String()), items: Type.Array(Type.String()) })) },
      { title: 'ReviewQueue' },
    ),
  },
  async handle({ principal, deps }) {
    const profiles = await deps.store.profiles.awaitingReview(principal.organizationId);
    return { data: profiles.map((p) => ({ user_profile_id: p.id, name: p.name, items: pendingItems(p) })) };
  },
};
