import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/index.js';
import type { Branding } from '../store/tenancy.js';
import { html, type SafeHtml } from './html.js';

/**
 * An organization's look in the portal: an accent colour and a small PNG logo. The CSP stays strict
 * (`style-src 'self'; img-src 'self'`): the colour arrives as a stylesheet of our own origin whose URL
 * names it, and the logo is uploaded, validated and served from our own origin — never an outside URL.
 */

/** The largest logo accepted, in bytes, and in pixels per side. */
export const LOGO_MAX_BYTES = 64 * 1024;
export const LOGO_MAX_PIXELS = 1024;
/** Buttons carry white text on the accent, and links are written in it: WCAG AA for normal text. */
export const MIN_ACCENT_CONTRAST = 4.5;

const HEX = /^#[0-9a-fA-F]{6}$/;

function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

/** The contrast ratio of a colour against white (1 to 21). */
export const contrastWithWhite = (hex: string) => 1.05 / (luminance(hex) + 0.05);

/** An accent colour: `#rrggbb` dark enough for white text on it; returned lower case. Else the problem. */
export function readAccentColor(value: string): { color: string } | { problem: string } {
  if (!HEX.test(value)) return { problem: 'accent_color: must be a hex colour such as "#1a5fb4".' };
  const ratio = contrastWithWhite(value);
  if (ratio < MIN_ACCENT_CONTRAST) {
    return { problem: `accent_color: ${value} is too light: white text on it has a contrast of ${ratio.toFixed(2)}:1, and at least ${MIN_ACCENT_CONTRAST}:1 is needed. Choose a darker colour.` };
  }
  return { color: value.toLowerCase() };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const IEND = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

/**
 * A logo: a PNG (by its bytes, whatever it is called) of at most LOGO_MAX_BYTES, that starts with its
 * header chunk (width and height 1 to LOGO_MAX_PIXELS) and ends with its end chunk. Else the problem.
 */
export function readLogo(bytes: Buffer): { png: Buffer; sha256: string } | { problem: string } {
  if (bytes.length > LOGO_MAX_BYTES) return { problem: `logo: must be at most ${LOGO_MAX_BYTES / 1024} KiB (got ${bytes.length} bytes).` };
  const isPng =
    bytes.length >= PNG_SIGNATURE.length + 25 + IEND.length &&
    bytes.subarray(0, 8).equals(PNG_SIGNATURE) &&
    bytes.readUInt32BE(8) === 13 &&
    bytes.toString('latin1', 12, 16) === 'IHDR' &&
    bytes.subarray(bytes.length - IEND.length).equals(IEND);
  if (!isPng) return { problem: 'logo: must be a PNG image.' };
  const width = bytes.readUInt32BE(16), height = bytes.readUInt32BE(20);
  if (width < 1 || height < 1 || width > LOGO_MAX_PIXELS || height > LOGO_MAX_PIXELS) {
    return { problem: `logo: must be at most ${LOGO_MAX_PIXELS}×${LOGO_MAX_PIXELS} pixels (got ${width}×${height}).` };
  }
  return { png: bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export const themeUrl = (accent: string) => `/assets/theme/${accent.slice(1)}.css`;
export const logoUrl = (organizationId: string, sha256: string) => `/branding/${encodeURIComponent(organizationId)}/logo/${sha256}.png`;

/** The organization's stylesheets, after the shared one. */
export const brandStylesheets = (branding: Branding | null) => (branding?.accentColor ? [themeUrl(branding.accentColor)] : []);

/** A header naming the platform, with its logo when it set one (decorative: the name is written beside it). */
export function brandHeader(name: string, organizationId: string, branding: Branding | null, subtitle: string): SafeHtml {
  const logo = branding?.logoSha256 ? html`<img src="${logoUrl(organizationId, branding.logoSha256)}" alt="">` : '';
  return html`<header><span class="brand">${logo}<strong>${name}</strong></span><span class="muted">${subtitle}</span></header>`;
}

/** Serves the themes and logos. Both are immutable under their URLs, so they may be cached for long. */
export function registerBrandingAssets(app: FastifyInstance, store: Store): void {
  const immutable = 'public, max-age=31536000, immutable';
  app.get('/assets/theme/:file', async (request, reply) => {
    const match = /^([0-9a-f]{6})\.css$/.exec((request.params as { file: string }).file);
    if (!match) return reply.code(404).type('text/plain; charset=utf-8').send('Not found.');
    return reply.header('cache-control', immutable).header('x-content-type-options', 'nosniff').type('text/css; charset=utf-8')
      .send(`:root{--accent:#${match[1]}}\n`);
  });
  app.get('/branding/:organizationId/logo/:file', async (request, reply) => {
    const { organizationId, file } = request.params as { organizationId: string; file: string };
    const match = /^([0-9a-f]{64})\.png$/.exec(file);
    const png = match ? await store.tenancy.logo(organizationId, match[1]) : null;
    if (!png) return reply.code(404).type('text/plain; charset=utf-8').send('Not found.');
    return reply
      .header('cache-control', immutable)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .type('image/png')
      .send(png);
  });
}
