import type { Profile } from './profile.js';

/** With a filter, one request examines at most this many profiles and may return a short page (contract-2 §1.6). */
export const FILTER_SCAN_BUDGET = 500;

/**
 * One page of a (possibly filtered) keyset scan: `rows` is what the store read for a page of at most `scan`
 * rows (plus one when there are more). Keeps the rows `keep` accepts, up to `limit`; `last` is the row the
 * next page starts after (the last one examined), or null when the walk is done. A filtered page may be
 * short, even empty, and still have a next page: each request examines a bounded number of rows
 * (contract-2 §1.6).
 */
export function scannedPage<Row extends { profile: Profile }>(
  rows: readonly Row[],
  scan: number,
  limit: number,
  keep: ((profile: Profile) => boolean) | null,
): { data: Profile[]; last: Row | null } {
  const data: Profile[] = [];
  let last: Row | null = null;
  for (const row of rows.slice(0, scan)) {
    if (data.length === limit) break;
    last = row;
    if (!keep || keep(row.profile)) data.push(row.profile);
  }
  const more = rows.length > scan || (data.length === limit && last !== rows[rows.length - 1]);
  return { data, last: more ? last : null };
}
