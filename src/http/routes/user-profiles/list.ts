import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { Closed, Enum, Nullable } from '../../../contract/schema.js';
import { byDialect } from '../../../contract/route-contract.js';
import type { CursorBinding, SortField, SortOrder } from '../../../domain/cursor.js';
import { ENFORCEMENT_STATUSES, enforcementStatus, type EnforcementStatus } from '../../../domain/enforcement.js';
import { FILTER_SCAN_BUDGET, scannedPage } from '../../../domain/paging.js';
import { readEnum } from '../../../domain/text.js';
import { invalidRequest } from '../../../errors.js';
import { queryList, queryParam, readLimit } from '../../readers.js';
import { pageJson, profileJson } from '../../rendered.js';
import type { PlatformCall, Route } from '../../route.js';

/** `enforcement_status[]=a&enforcement_status[]=b`, repeated `enforcement_status=a`, or `a,b`: all the same. */
function readStatusFilter(request: FastifyRequest): EnforcementStatus[] | null {
  const values = queryList(request, 'enforcement_status');
  if (values === null) return null;
  return [...new Set(values.map((v) => readEnum('enforcement_status', v, ENFORCEMENT_STATUSES)))].sort();
}

/** E4 — GET /v1/user_profiles: keyset pages `{data, next_page}` (decisions §16–18, contract-2 §1.6). */
export const listUserProfiles: Route<PlatformCall> = {
  method: 'GET',
  url: '/v1/user_profiles',
  contract: {
    id: 'listUserProfiles',
    summary: 'List user profiles',
    query: Type.Object({
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
      order: Type.Optional(Enum(['asc', 'desc'] as const, { description: 'default desc' })),
      order_by: Type.Optional(Enum(['created_at', 'name'] as const, { description: 'default created_at' })),
      page: Type.Optional(Type.String({ description: 'the next_page of the previous answer' })),
      enforcement_status: Type.Optional(
        Type.Array(Enum(ENFORCEMENT_STATUSES), { description: 'GA surface only: repeated, as enforcement_status[], or comma-joined' }),
      ),
    }),
    response: byDialect((dialect) =>
      Closed(
        { data: Type.Array(dialect.schemas.list), next_page: Nullable(Type.String()) },
        { title: `UserProfilePage (${dialect.beta ?? 'GA'})` },
      ),
    ),
  },
  async handle({ request, principal, dialect, deps }) {
    const limit = readLimit(queryParam(request, 'limit'));
    const order = readEnum<SortOrder>('order', queryParam(request, 'order') ?? 'desc', ['asc', 'desc']);
    const orderBy = readEnum<SortField>('order_by', queryParam(request, 'order_by') ?? 'created_at', ['created_at', 'name']);
    const statuses = readStatusFilter(request);
    if (statuses && dialect.beta !== null) {
      throw invalidRequest(`enforcement_status: not accepted under ${dialect.beta}; the filter exists on the GA surface only.`);
    }
    const binding: CursorBinding = { order, orderBy, filter: statuses ? statuses.join(',') : '' };
    const page = queryParam(request, 'page');
    const after = page === undefined ? null : deps.cursors.decode(page, binding);

    const now = deps.clock.now(principal.organizationId);
    const scan = statuses ? Math.max(limit, FILTER_SCAN_BUDGET) : limit;
    const rows = await deps.store.profiles.list(principal.organizationId, { order, orderBy, after, limit: scan });
    const { data, last } = scannedPage(rows, scan, limit, statuses && ((p) => statuses.includes(enforcementStatus(p.actions, now))));
    const nextPage = last ? deps.cursors.encode(binding, last.position) : null;
    // put together from each profile's kept rendering (see profileJson)
    return pageJson(data.map((profile) => profileJson(profile, dialect, 'list', now)), nextPage);
  },
};
