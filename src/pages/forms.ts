import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/** Forms are small: a posted form larger than this is refused. */
const FORM_BODY_LIMIT = 64 * 1024;

/**
 * Lets a (page) plugin context accept `application/x-www-form-urlencoded` posts. Repeated fields become
 * arrays. Only the hosted pages register it: the JSON API keeps refusing form bodies.
 */
export function acceptForms(pages: FastifyInstance): void {
  pages.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => {
    const fields: Record<string, string | string[]> = Object.create(null);
    for (const [key, value] of new URLSearchParams(body as string)) {
      const existing = fields[key];
      fields[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    done(null, fields);
  });
}

export type FormFields = Record<string, string | string[] | undefined>;

/** The values of a (possibly repeated) form field. */
export function formValues(fields: FormFields, name: string): string[] {
  const value = fields[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export function formValue(fields: FormFields, name: string): string | undefined {
  const [first] = formValues(fields, name);
  return first;
}

/**
 * Stateless CSRF tokens: an HMAC of what the form is bound to (a console session, a portal link), so
 * any server process can check one and a forged form without it is refused.
 */
export function csrfToken(key: Buffer, binding: string): string {
  return createHmac('sha256', key).update('csrf\0').update(binding).digest('base64url');
}

export function csrfValid(key: Buffer, binding: string, presented: string | undefined): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(csrfToken(key, binding));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
