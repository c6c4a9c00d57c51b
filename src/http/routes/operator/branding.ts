import { BrandingBody, OrganizationSchema, readBrandingChange, renderBranding } from '../../../review/settings.js';
import type { OperatorCall, Route } from '../../route.js';

/** POST /v1/operator/organization/branding: the accent colour and logo of the hosted pages. */
export const updateBranding: Route<OperatorCall> = {
  method: 'POST',
  url: '/v1/operator/organization/branding',
  contract: { id: 'operatorUpdateBranding', summary: "Change the hosted pages' branding", body: BrandingBody, response: OrganizationSchema },
  async handle({ request, principal, deps }) {
    await deps.store.tenancy.setBranding(principal.organizationId, readBrandingChange(request.body));
    return renderBranding(deps, principal.organizationId);
  },
};
