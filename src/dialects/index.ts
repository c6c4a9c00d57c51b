import { invalidRequest } from '../errors.js';
import type { Dialect } from './dialect.js';
import { beta20260324 } from './beta-2026-03-24.js';
import { beta20260818 } from './beta-2026-08-18.js';
import { beta20260904 } from './beta-2026-09-04.js';
import { ga } from './ga.js';

export type { Dialect, View } from './dialect.js';

/** Newest first: when a header carries several user-profiles values, the newest wins (decisions §2). */
const BETA_DIALECTS: readonly Dialect[] = [beta20260904, beta20260818, beta20260324];
export const ALL_DIALECTS: readonly Dialect[] = [ga, ...BETA_DIALECTS];

const USER_PROFILES_BETA = 'user-profiles-';

/**
 * The dialect an `anthropic-beta` header selects (decisions §1–3): a comma list, spaces ignored, other
 * betas ignored, no user-profiles value → GA, an unknown user-profiles value → 400 naming it.
 */
export function dialectFor(header: string | string[] | undefined): Dialect {
  if (header === undefined) return ga;
  const values = (Array.isArray(header) ? header.join(',') : header).split(',').map((v) => v.trim());
  let chosen: Dialect = ga;
  for (const value of values) {
    if (!value.startsWith(USER_PROFILES_BETA)) continue;
    const dialect = BETA_DIALECTS.find((d) => d.beta === value);
    if (!dialect) {
      throw invalidRequest(
        `anthropic-beta: unknown value ${JSON.stringify(value)}. User profiles accept ${BETA_DIALECTS.map((d) => d.beta).join(', ')}, or no user-profiles value for the GA surface.`,
      );
    }
    if (chosen === ga || BETA_DIALECTS.indexOf(dialect) < BETA_DIALECTS.indexOf(chosen)) chosen = dialect;
  }
  return chosen;
}
