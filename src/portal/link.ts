import type { Actor } from '../domain/history.js';
import { checkLinkToken, hashToken } from '../domain/link-token.js';
import type { Profile } from '../domain/profile.js';
import type { Deps } from '../http/route.js';
import type { Branding } from '../store/tenancy.js';
import type { UrlTokenKind } from '../store/url-tokens.js';

/** A link that checked out: signed by us, issued, unexpired, for the kind of URL it came in on, live profile. */
export interface OpenLink {
  token: string;
  kind: UrlTokenKind;
  organizationId: string;
  /** the platform's name as its end customer sees it: the organization's name */
  platform: string;
  /** how the platform's organization wants its pages to look */
  branding: Branding;
  profile: Profile;
  expiresAt: number;
}

/** 404: forged, tampered, malformed, never issued, wrong kind, deleted profile. 410: expired. */
export type LinkOutcome = { ok: true; link: OpenLink } | { ok: false; status: 404 | 410 };

const invalid = { ok: false, status: 404 } as const;
const expired = { ok: false, status: 410 } as const;

/**
 * Checks a link token as presented in a URL of the given kind (the query of an action URL, the path of
 * an enrollment URL). The signature is checked before any lookup; the store is asked only by hash.
 */
export async function openLink(deps: Deps, kind: UrlTokenKind, token: unknown): Promise<LinkOutcome> {
  if (typeof token !== 'string' || token === '') return invalid;
  const check = checkLinkToken(deps.tokens, token);
  if (!check.ok) return invalid;
  // a link expires on its organization's clock (the emulator's test clock may run ahead)
  const { organizationId } = check.claims;
  await deps.clock.sync(organizationId);
  const now = deps.clock.now(organizationId);
  if (check.claims.expiresAt <= now) return expired;
  const record = await deps.store.urlTokens.find(organizationId, hashToken(token));
  // an action token pasted into an enrollment URL (or the reverse) is not a link we handed out
  if (!record || record.kind !== kind) return invalid;
  if (record.expiresAt <= now) return expired;
  const profile = await deps.store.profiles.find(record.organizationId, record.profileId);
  if (!profile) return invalid;
  const organization = await deps.store.tenancy.organizationById(record.organizationId);
  const branding = await deps.store.tenancy.branding(record.organizationId);
  return {
    ok: true,
    link: {
      token, kind, organizationId: record.organizationId, platform: organization?.name ?? 'Your platform', branding, profile, expiresAt: record.expiresAt,
    },
  };
}

/** History records the end customer, by the kind of link they came through. */
export const endCustomer = (kind: UrlTokenKind): Actor => ({ type: 'end_customer', id: kind === 'action' ? 'action_url' : 'enrollment_url' });

/** What a portal form's CSRF token is bound to: this very link (by hash), so it works only with it. */
export const csrfBinding = (token: string) => `portal\0${hashToken(token)}`;

/**
 * Where to send the browser after a successful submission: the same link, with `done` set, as a
 * reference relative to the link itself (so it holds behind a proxy that mounts us under a prefix).
 */
export function doneLocation(link: Pick<OpenLink, 'kind' | 'token'>, done: string): string {
  const token = encodeURIComponent(link.token);
  return link.kind === 'action' ? `?enrollment_token=${token}&done=${done}` : `${token}?done=${done}`;
}
