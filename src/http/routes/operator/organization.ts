import { OrganizationSchema, renderBranding } from '../../../review/settings.js';
import type { OperatorCall, Route } from '../../route.js';

/** GET /v1/operator/organization: the key's organization and its branding. */
export const retrieveOrganization: Route<OperatorCall> = {
  method: 'GET',
  url: '/v1/operator/organization',
  contract: { id: 'operatorRetrieveOrganization', summary: 'Retrieve the organization', response: OrganizationSchema },
  async handle({ principal, deps }) {
    return renderBranding(deps, principal.organizationId);
  },
};
