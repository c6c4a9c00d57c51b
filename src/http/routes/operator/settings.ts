import { codePointLength, describeType, requireStorableText } from '../../../domain/text.js';
import { invalidRequest } from '../../../errors.js';
import { logoUrl, readAccentColor, readLogo } from '../../../pages/branding.js';
import type { BrandingChange } from '../../../store/tenancy.js';
import type { Deps } from '../../route.js';

/** The longest key name, in code points. */
export const KEY_NAME_MAX = 100;

/** `{name: string | null}`: a key's name as the pages show it; blank or null removes it. */
export function readKeyName(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidRequest(`body: expected an object, got ${describeType(value)}.`);
  for (const key of Object.keys(value)) if (key !== 'name') throw invalidRequest(`${key}: unknown field.`);
  const raw = (value as { name?: unknown }).name;
  if (raw === undefined) throw invalidRequest('name: required (null removes the name).');
  if (raw === null) return null;
  if (typeof raw !== 'string') throw invalidRequest(`name: expected a string or null, got ${describeType(raw)}.`);
  const name = raw.trim();
  if (codePointLength(name) > KEY_NAME_MAX) throw invalidRequest(`name: must be at most ${KEY_NAME_MAX} characters (got ${codePointLength(name)}).`);
  requireStorableText('name', name);
  if (/[\u0000-\u001f\u007f]/.test(name)) throw invalidRequest('name: must not contain control characters.');
  return name === '' ? null : name;
}

/**
 * `{accent_color?: "#rrggbb" | null, logo_png_base64?: string | null}`: a field left out stays as it is,
 * null removes it. The logo is a PNG in standard base64 (see readLogo for what is accepted).
 */
export function readBrandingChange(value: unknown): BrandingChange {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidRequest(`body: expected an object, got ${describeType(value)}.`);
  const body = value as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (key !== 'accent_color' && key !== 'logo_png_base64') throw invalidRequest(`${key}: unknown field.`);
  }
  const change: BrandingChange = {};
  if (body.accent_color === null) change.accentColor = null;
  else if (body.accent_color !== undefined) {
    if (typeof body.accent_color !== 'string') throw invalidRequest(`accent_color: expected a string or null, got ${describeType(body.accent_color)}.`);
    const read = readAccentColor(body.accent_color);
    if ('problem' in read) throw invalidRequest(read.problem);
    change.accentColor = read.color;
  }
  if (body.logo_png_base64 === null) change.logo = null;
  else if (body.logo_png_base64 !== undefined) {
    const text = body.logo_png_base64;
    if (typeof text !== 'string') throw invalidRequest(`logo_png_base64: expected a string or null, got ${describeType(text)}.`);
    const bytes = Buffer.from(text, 'base64');
    if (text === '' || bytes.toString('base64') !== text) throw invalidRequest('logo_png_base64: must be standard base64 (with padding) of a PNG file.');
    const read = readLogo(bytes);
    if ('problem' in read) throw invalidRequest(read.problem.replace(/^logo:/, 'logo_png_base64:'));
    change.logo = read;
  }
  return change;
}

export async function renderBranding(deps: Deps, organizationId: string) {
  const organization = await deps.store.tenancy.organizationById(organizationId);
  const branding = await deps.store.tenancy.branding(organizationId);
  return {
    type: 'organization',
    id: organizationId,
    name: organization?.name ?? null,
    branding: {
      accent_color: branding.accentColor,
      logo_url: branding.logoSha256 ? `${deps.config.publicUrl}${logoUrl(organizationId, branding.logoSha256)}` : null,
    },
  };
}
