import type { CursorBinding, SortField, SortOrder } from '../../../domain/cursor.js';
import { ENFORCEMENT_STATUSES, enforcementStatus, type EnforcementStatus } from '../../../domain/enforcement.js';
import type { Profile } from '../../../domain/profile.js';
import { readEnum } from '../../../domain/text.js';
import { invalidRequest } from '../../../errors.js';
import type { ListedProfile } from '../../../store/profiles.js';
import { pageJson, profileJson } from '../../rendered.js';
import type { PlatformRoute } from '../../route.js';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
/** With a filter, one request examines at most this many profiles and may return a short page (contract-2 §1.6). */
const FILTER_SCAN_BUDGET = 500;

type Query = Record<string, string | string[] | undefined>;

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw invalidRequest(`${name}: give this parameter once.`);
  return value;
}

function readLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    throw invalidRequest(`limit: must be an integer from 1 to ${MAX_LIMIT} (got ${JSON.stringify(raw)}).`);
  }
  return limit;
}

/** `enforcement_status[]=a&enforcement_status[]=b`, repeated `enforcement_status=a`, or `a,b`: all the same. */
function readStatusFilter(query: Query): EnforcementStatus[] | null {
  const plain = query['enforcement_status'], bracketed = query['enforcement_status[]'];
  if (plain === undefined && bracketed === undefined) return null;
  const raw = [plain ?? [], bracketed ?? []].flat();
  const values = raw.flatMap((v) => v.split(',')).map((v) => v.trim());
  return [...new Set(values.map((v) => readEnum('enforcement_status', v, ENFORCEMENT_STATUSES)))].sort();
}

/** E4 — GET /v1/user_profiles: keyset pages `{data, next_page}` (decisions §16–18, contract-2 §1.6). */
export const listUserProfiles: PlatformRoute = {
  method: 'GET',
  url: '/v1/user_profiles',
  async handle({ request, principal, dialect, deps }) {
    const query = request.query as Query;
    const limit = readLimit(single(query, 'limit'));
    const order = readEnum<SortOrder>('order', single(query, 'order') ?? 'desc', ['asc', 'desc']);
    const orderBy = readEnum<SortField>('order_by', single(query, 'order_by') ?? 'created_at', ['created_at', 'name']);
    const statuses = readStatusFilter(query);
    if (statuses && dialect.beta !== null) {
      throw invalidRequest(`enforcement_status: not accepted under ${dialect.beta}; the filter exists on the GA surface only.`);
    }
    const binding: CursorBinding = { order, orderBy, filter: statuses ? statuses.join(',') : '' };
    const page = single(query, 'page');
    const after = page === undefined ? null : deps.cursors.decode(page, binding);

    const now = deps.clock.now(principal.organizationId);
    const scan = statuses ? Math.max(limit, FILTER_SCAN_BUDGET) : limit;
    const rows = await deps.store.profiles.list(principal.organizationId, { order, orderBy, after, limit: scan });
    const data: Profile[] = [];
    let last: ListedProfile | null = null;
    for (const row of rows.slice(0, scan)) {
      if (data.length === limit) break;
      last = row;
      if (!statuses || statuses.includes(enforcementStatus(row.profile.actions, now))) data.push(row.profile);
    }
    const more = rows.length > scan || (data.length === limit && last !== rows[rows.length - 1]);
    const nextPage = more && last ? deps.cursors.encode(binding, last.position) : null;
    // put together from each profile's kept rendering (see profileJson)
    return pageJson(data.map((profile) => profileJson(profile, dialect, 'list', now)), nextPage);
  },
};
