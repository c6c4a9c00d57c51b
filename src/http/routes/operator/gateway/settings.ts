import { readSettings, SettingsBody } from '../../../../review/gateway.js';
import type { OperatorCall, Route } from '../../../route.js';
import { SettingsSchema } from './schemas.js';

/** GET /v1/operator/gateway_settings */
export const retrieveGatewaySettings: Route<OperatorCall> = {
  method: 'GET',
  url: '/v1/operator/gateway_settings',
  contract: { id: 'operatorRetrieveGatewaySettings', summary: "The organization's gateway settings", response: SettingsSchema },
  async handle({ principal, deps }) {
    const settings = await deps.store.gatewaySettings.settings(principal.organizationId);
    return { type: 'gateway_settings', require_attribution: settings.requireAttribution };
  },
};

/** POST /v1/operator/gateway_settings: whether every inference request must name a user profile. */
export const updateGatewaySettings: Route<OperatorCall> = {
  method: 'POST',
  url: '/v1/operator/gateway_settings',
  contract: { id: 'operatorUpdateGatewaySettings', summary: "Change the organization's gateway settings", body: SettingsBody, bodyRequired: true, response: SettingsSchema },
  async handle({ request, principal, deps }) {
    const requireAttribution = readSettings(request.body);
    await deps.store.gatewaySettings.setSettings(principal.organizationId, { requireAttribution }, deps.gateway.clock(principal.organizationId));
    deps.gateway.forgetSettings(principal.organizationId);
    return { type: 'gateway_settings', require_attribution: requireAttribution };
  },
};
