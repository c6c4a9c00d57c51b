import { hashToken, mintLinkToken } from './domain/link-token.js';
import { formatTimestamp } from './domain/time.js';
import { profileNotFound } from './errors.js';
import type { UrlTokenKind } from './store/url-tokens.js';
import type { Deps } from './http/route.js';

/** Where each kind of link leads on this server's hosted pages (decisions §21). */
export function linkUrl(publicUrl: string, kind: UrlTokenKind, token: string): string {
  return kind === 'action'
    ? `${publicUrl}/portal/enroll?enrollment_token=${token}`
    : `${publicUrl}/user-profiles/enrollment/${token}`;
}

/**
 * Mints a link to the hosted pages for a live profile: a fresh token every call, earlier ones stay valid.
 * Only the token's hash is stored.
 */
export async function mintLink(deps: Pick<Deps, 'clock' | 'store' | 'tokens' | 'config'>, organizationId: string, profileId: string, kind: UrlTokenKind, ttlMs: number) {
  const now = deps.clock.now(organizationId);
  if (!(await deps.store.profiles.find(organizationId, profileId))) throw profileNotFound(profileId);
  const expiresAt = now + ttlMs;
  const token = mintLinkToken(deps.tokens, { organizationId, expiresAt });
  await deps.store.urlTokens.insert(hashToken(token), { organizationId, profileId, kind, createdAt: now, expiresAt });
  return { url: linkUrl(deps.config.publicUrl, kind, token), expires_at: formatTimestamp(expiresAt) };
}
