import type { FastifyInstance, FastifyReply } from 'fastify';
import { checkLinkToken, hashToken } from '../domain/link-token.js';
import { formatTimestamp } from '../domain/time.js';
import type { Deps } from '../http/route.js';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .code(status)
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`);
}

/**
 * The landing page behind action and enrollment links. It checks the link (signature, expiry, stored
 * hash, live profile) and names the profile; the enrollment portal itself is built on top of this.
 */
export function registerPortal(app: FastifyInstance, deps: Deps): void {
  const land = async (token: string | undefined, reply: FastifyReply) => {
    const now = deps.now();
    const check = token ? checkLinkToken(deps.linkKey, token, now) : ({ ok: false, reason: 'malformed' } as const);
    if (!check.ok) {
      return check.reason === 'expired'
        ? page(reply, 410, 'This link has expired', '<p>Ask the platform that sent it for a new link.</p>')
        : page(reply, 404, 'This link is not valid', '<p>Check that you copied the whole link, or ask for a new one.</p>');
    }
    const record = await deps.store.urlTokens.find(check.claims.organizationId, hashToken(token!));
    const profile = record && (await deps.store.profiles.find(record.organizationId, record.profileId));
    if (!record || !profile) return page(reply, 404, 'This link is not valid', '<p>Ask the platform that sent it for a new link.</p>');
    return page(
      reply,
      200,
      'Verification portal',
      `<p>This link is for user profile <code>${escapeHtml(profile.id)}</code>${profile.name ? ` (${escapeHtml(profile.name)})` : ''}.</p>
<p>It stays valid until ${escapeHtml(formatTimestamp(record.expiresAt))}.</p>`,
    );
  };
  app.get('/portal/enroll', async (request, reply) => {
    const token = (request.query as Record<string, unknown>).enrollment_token;
    return land(typeof token === 'string' ? token : undefined, reply);
  });
  app.get('/user-profiles/enrollment/:token', async (request, reply) => land((request.params as { token: string }).token, reply));
}
