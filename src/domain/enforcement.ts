import type { Profile } from './profile.js';

export const ENFORCEMENT_STATUSES = ['unrestricted', 'pending', 'restricted', 'banned'] as const;
export type EnforcementStatus = (typeof ENFORCEMENT_STATUSES)[number];

/**
 * The GA `enforcement_status` of a profile (P2 §1.4). Enforcement actions are not stored yet, so every
 * profile has no open action and reads `unrestricted`; the derivation over open actions replaces this
 * when actions exist.
 */
export function enforcementStatusOf(_profile: Profile): EnforcementStatus {
  return 'unrestricted';
}
