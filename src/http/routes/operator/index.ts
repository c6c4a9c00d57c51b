import type { OperatorCall, Route } from '../../route.js';
import { nameApiKey } from './api-key-name.js';
import { updateBranding } from './branding.js';
import { decideCyber } from './cyber.js';
import { decideEfs } from './efs.js';
import { profileHistory } from './history.js';
import { reviewIdentityCheck } from './identity-check.js';
import { openAction } from './open-action.js';
import { retrieveOrganization } from './organization.js';
import { retrieveOperatorProfile } from './profile.js';
import { resolveAction } from './resolve-action.js';
import { reviewQueue } from './review-queue.js';
import { searchUserProfiles } from './search-profiles.js';

/**
 * The operator API: every review-console action as JSON, for automation and tests (decisions §24), one file per
 * operation. Operator keys only; every call is scoped to the key's organization.
 */
export const operatorRoutes: readonly Route<OperatorCall>[] = [
  reviewQueue,
  searchUserProfiles,
  retrieveOrganization,
  updateBranding,
  nameApiKey,
  retrieveOperatorProfile,
  profileHistory,
  decideCyber,
  decideEfs,
  openAction,
  resolveAction,
  reviewIdentityCheck,
];
