import type { FastifyRequest } from 'fastify';
import type { CursorBinding, SortField, SortOrder } from '../../../domain/cursor.js';
import { ENFORCEMENT_STATUSES, enforcementStatus, type EnforcementStatus } from '../../../domain/enforcement.js';
import type { Profile } from '../../../domain/profile.js';
import { readEnum } from '../../../domain/text.js';
import { invalidRequest } from '../../../errors.js';
import type { ListedProfile } from '../../../store/profiles.js';
import { queryList, queryParam } from '../../query.js';
import { pageJson, profileJson } from '../../rendered.js';
import type { PlatformRoute } from '../../route.js';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
/** With a filter, one request examines at most this many profiles and may return a short page (contract-2 §1.6). */
export const FILTER_SCAN_BUDGET = 500;


export function readLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    throw invalidRequest(`limit: must be an integer from 1 to ${MAX_LIMIT} (got ${JSON.stringify(raw)}).`);
  }
  return limit;
}

/** `enforcement_status[]=a&enforcement_status[]=b`, repeated `enforcement_status=a`, or `a,b`: all the same. */
function readStatusFilter(request: FastifyRequest): EnforcementStatus[] | null {
  const values = queryList(request, 'enforcement_status');
  if (values === null) return null;
  return [...new Set(values.map((v) => readEnum('enforcement_status', v, ENFORCEMENT_STATUSES)))].sort();
}

/**
 * One page of a (possibly filtered) keyset scan: `rows` is what the store read for a page of at most `scan`
 * rows (plus one when there are more). Keeps the rows `keep` accepts, up to `limit`; `last` is the row the
 * next page starts after (the last one examined), or null when the walk is done. A filtered page may be
 * short, even empty, and still have a next page: each request examines a bounded number of rows
 * (contract-2 §1.6).
 */
export function scannedPage(
  rows: readonly ListedProfile[],
  scan: number,
  limit: number,
  keep: ((profile: Profile) => boolean) | null,
): { data: Profile[]; last: ListedProfile | null } {
  const data: Profile[] = [];
  let last: ListedProfile | null = null;
  for (const row of rows.slice(0, scan)) {
    if (data.length === limit) break;
    last = row;
    if (!keep || keep(row.profile)) data.push(row.profile);
  }
  const more = rows.length > scan || (data.length === limit && last !== rows[rows.length - 1]);
  return { data, last: more ? last : null };
}

/** E4 — GET /v1/user_profiles: keyset pages `{data, next_page}` (decisions §16–18, contract-2 §1.6). */
export const listUserProfiles: PlatformRoute = {
  method: 'GET',
  url: '/v1/user_profiles',
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
