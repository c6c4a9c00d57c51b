import type { CursorBinding, ListPosition } from '../domain/cursor.js';
import { ENFORCEMENT_STATUSES, enforcementStatus, type EnforcementStatus } from '../domain/enforcement.js';
import type { Profile } from '../domain/profile.js';
import { PROGRAM_STATUSES } from '../domain/programs.js';
import { asciiFold, codePointLength, readEnum, requireStorableText } from '../domain/text.js';
import { invalidRequest } from '../errors.js';
import type { Deps } from '../http/route.js';
import { listParam, readLimit, scalarParam, type Query } from '../http/readers.js';
import { FILTER_SCAN_BUDGET, scannedPage } from '../domain/paging.js';

/**
 * Finding profiles, for the operator API (`GET /v1/operator/user_profiles?…`) and the console's profile
 * search, which read the same parameters the same way:
 * - `name_prefix`: profiles whose name starts with it, ASCII letters compared without case (the folded
 *   name, as `order_by=name` compares): a range of the folded-name index, in name order;
 * - `reference_id`: exactly this `external_user_details.reference_id`, through its own index, newest first;
 * - `enforcement_status`, `cyber_status`, `efs_status` (`none`: no status in the program): any of the values
 *   given (repeated, `name[]=`, or comma-joined, as the GA list filter). These depend on the clock (a
 *   restriction lapses at read time) or live in the program's JSON, so they are checked on the rows read,
 *   with the GA list filter's scan budget (contract-2 §1.6): a page may be short, even empty, and still
 *   have a next page;
 * - `limit` (1–100, default 20) and `page` (the cursor of the previous answer).
 * Without a name prefix the order is newest first. A scalar parameter repeated or in array form is a 400
 * naming it (decisions §37), and so is any parameter not listed here. An empty text parameter is absent.
 */
export const PROGRAM_FILTER_VALUES = ['none', ...PROGRAM_STATUSES] as const;
export type ProgramFilterValue = (typeof PROGRAM_FILTER_VALUES)[number];

export interface ProfileSearch {
  namePrefix: string | null;
  referenceId: string | null;
  enforcement: EnforcementStatus[] | null;
  cyber: ProgramFilterValue[] | null;
  efs: ProgramFilterValue[] | null;
  limit: number;
  page: string | null;
}

const SCALARS = ['name_prefix', 'reference_id', 'limit', 'page'] as const;
const MULTI = ['enforcement_status', 'cyber_status', 'efs_status'] as const;
const TEXT_MAX = 255;

function readText(query: Query, name: 'name_prefix' | 'reference_id'): string | null {
  const value = scalarParam(query, name);
  if (value === undefined || value.trim() === '') return null;
  const length = codePointLength(value);
  if (length > TEXT_MAX) throw invalidRequest(`${name}: must be at most ${TEXT_MAX} characters (got ${length}).`);
  requireStorableText(name, value);
  return value;
}

function readMulti<T extends string>(query: Query, name: string, allowed: readonly T[]): T[] | null {
  const values = listParam(query, name)?.filter((v) => v !== '');
  if (!values || values.length === 0) return null;
  return [...new Set(values.map((v) => readEnum(name, v, allowed)))].sort();
}

export function readProfileSearch(query: Query): ProfileSearch {
  const known: readonly string[] = [...SCALARS, ...MULTI];
  for (const name of Object.keys(query)) {
    // `name[]` and `name[0]` are forms of `name`: the readers below accept or refuse them
    if (!known.includes(name.replace(/\[[^\]]*\]$/, ''))) {
      throw invalidRequest(`${name}: unknown parameter. Known parameters: ${known.join(', ')}.`);
    }
  }
  const page = scalarParam(query, 'page');
  return {
    namePrefix: readText(query, 'name_prefix'),
    referenceId: readText(query, 'reference_id'),
    enforcement: readMulti(query, 'enforcement_status', ENFORCEMENT_STATUSES),
    cyber: readMulti(query, 'cyber_status', PROGRAM_FILTER_VALUES),
    efs: readMulti(query, 'efs_status', PROGRAM_FILTER_VALUES),
    limit: readLimit(scalarParam(query, 'limit')),
    page: page === undefined || page === '' ? null : page,
  };
}

/** The search's parameters in a canonical order, without the page: what its cursors are bound to, and its next page's query. */
export function searchParams(search: ProfileSearch, page?: string): URLSearchParams {
  const params = new URLSearchParams();
  if (search.namePrefix !== null) params.set('name_prefix', search.namePrefix);
  if (search.referenceId !== null) params.set('reference_id', search.referenceId);
  for (const [name, values] of [['enforcement_status', search.enforcement], ['cyber_status', search.cyber], ['efs_status', search.efs]] as const) {
    for (const value of values ?? []) params.append(name, value);
  }
  params.set('limit', String(search.limit));
  if (page) params.set('page', page);
  return params;
}

const programValue = (program: Profile['cyber'] | Profile['efs']): ProgramFilterValue => program?.status ?? 'none';

/** One page of the search: the profiles found, and the cursor of the next page (null when the walk is done). */
export async function searchProfiles(deps: Deps, organizationId: string, search: ProfileSearch): Promise<{ profiles: Profile[]; nextPage: string | null }> {
  const byName = search.namePrefix !== null && search.referenceId === null;
  const binding: CursorBinding = {
    order: byName ? 'asc' : 'desc',
    orderBy: byName ? 'name' : 'created_at',
    filter: `operator search\0${searchParams({ ...search, limit: 0 })}`,
  };
  const after: ListPosition | null = search.page === null ? null : deps.cursors.decode(search.page, binding);
  const filtered = search.enforcement !== null || search.cyber !== null || search.efs !== null;
  const scan = filtered ? Math.max(search.limit, FILTER_SCAN_BUDGET) : search.limit;
  const now = deps.clock.now(organizationId);
  const rows = await deps.store.profiles.search(organizationId, {
    namePrefix: search.namePrefix === null ? null : asciiFold(search.namePrefix),
    referenceId: search.referenceId,
    after,
    limit: scan,
  });
  const keep = filtered
    ? (p: Profile) =>
        (search.enforcement === null || search.enforcement.includes(enforcementStatus(p.actions, now))) &&
        (search.cyber === null || search.cyber.includes(programValue(p.cyber))) &&
        (search.efs === null || search.efs.includes(programValue(p.efs)))
    : null;
  const { data, last } = scannedPage(rows, scan, search.limit, keep);
  return { profiles: data, nextPage: last ? deps.cursors.encode(binding, last.position) : null };
}

