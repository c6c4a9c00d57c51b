import { Type, type Static } from '@sinclair/typebox';
import { Closed, Nullable } from '../contract/schema.js';
import { codePointLength, describeType, requireStorableText } from '../domain/text.js';
import { invalidRequest } from '../errors.js';
import { logoUrl, readAccentColor, readLogo } from '../pages/branding.js';
import type { BrandingChange } from '../store/tenancy.js';
import { readObject } from '../http/readers.js';
import type { Deps } from '../http/route.js';

/** The longest key name, in code points. */
export const KEY_NAME_MAX = 100;

/** `{name: string | null}`: a key's name as the pages show it; blank or null removes it. */
export function readKeyName(value: unknown): string | null {
  const raw = readObject('', value, ['name']).name;
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
  const body = readObject('', value, ['accent_color', 'logo_png_base64']);
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

export async function renderBranding(deps: Deps, organizationId: string): Promise<Static<typeof OrganizationSchema>> {
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

// ---- the contract (the readers enforce it, with what JSON Schema does not say: the colour's contrast, the PNG itself)

export const KeyNameBody = Closed(
  { name: Nullable(Type.String({ description: `at most ${KEY_NAME_MAX} characters once trimmed; blank or null removes the name; no control characters` })) },
  { title: 'ApiKeyName' },
);

export const BrandingBody = Closed(
  {
    accent_color: Type.Optional(Nullable(Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: 'dark enough for white text on it' }))),
    logo_png_base64: Type.Optional(Nullable(Type.String({ minLength: 1, description: 'a PNG in standard base64 with padding' }))),
  },
  { title: 'BrandingChange' },
);

export const OrganizationSchema = Closed(
  {
    type: Type.Literal('organization'),
    id: Type.String(),
    name: Nullable(Type.String()),
    branding: Closed({ accent_color: Nullable(Type.String()), logo_url: Nullable(Type.String()) }),
  },
  { title: 'Organization' },
);
