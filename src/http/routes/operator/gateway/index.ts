import type { OperatorCall, Route } from '../../../route.js';
import { setBillingAuthorization } from './billing.js';
import { deleteBudget, retrieveBudget, setBudget } from './budget.js';
import { organizationUsage } from './organization-usage.js';
import { profileUsage } from './profile-usage.js';
import { retrieveGatewaySettings, updateGatewaySettings } from './settings.js';

/**
 * The operator's side of the inference gateway (src/gateway/): metered usage, budgets, billing authorization
 * and the organization's attribution setting. Operator keys only, scoped to the key's organization.
 */
export const gatewayOperatorRoutes: readonly Route<OperatorCall>[] = [
  profileUsage,
  organizationUsage,
  retrieveBudget,
  setBudget,
  deleteBudget,
  setBillingAuthorization,
  retrieveGatewaySettings,
  updateGatewaySettings,
];
