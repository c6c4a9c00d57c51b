import { Type } from '@sinclair/typebox';
import { Closed } from '../../../../contract/schema.js';
import type { OperatorCall, Route } from '../../../route.js';
import { rangeOf, report, ReportQuery } from './schemas.js';

/** GET /v1/operator/usage?from&to&granularity: what the gateway metered for the whole organization. */
export const organizationUsage: Route<OperatorCall> = {
  method: 'GET',
  url: '/v1/operator/usage',
  contract: {
    id: 'operatorOrganizationUsage',
    summary: "The organization's metered usage over time and by API key",
    query: ReportQuery,
    response: Closed({ type: Type.Literal('organization_usage'), ...report }, { title: 'OrganizationUsage' }),
  },
  async handle(call) {
    const usage = await call.deps.gateway.report({ organizationId: call.principal.organizationId, profileId: null }, rangeOf(call));
    return { type: 'organization_usage', ...usage };
  },
};
