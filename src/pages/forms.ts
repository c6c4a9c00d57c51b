import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tokens } from '../tokens.js';

/** Forms are small: a posted form larger than this is refused. */
const FORM_BODY_LIMIT = 64 * 1024;
/** A form with a file (an organization's logo, at most 64 KiB) and its encoding's overhead. */
const UPLOAD_BODY_LIMIT = 96 * 1024;

/** A file posted in a multipart form. */
export interface UploadedFile {
  filename: string;
  type: string;
  bytes: Buffer;
}
const uploads = new WeakMap<FormFields, Map<string, UploadedFile>>();

/** The files posted with a multipart form, by field name (none for any other form). */
export const uploadedFiles = (fields: FormFields): ReadonlyMap<string, UploadedFile> => uploads.get(fields) ?? new Map();

function addField(fields: Record<string, string | string[]>, key: string, value: string) {
  const existing = fields[key];
  fields[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
}

/**
 * Lets a (page) plugin context accept `application/x-www-form-urlencoded` posts. Repeated fields become
 * arrays. Only the hosted pages register it: the JSON API keeps refusing form bodies.
 */
export function acceptForms(pages: FastifyInstance): void {
  pages.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => {
    const fields: Record<string, string | string[]> = Object.create(null);
    for (const [key, value] of new URLSearchParams(body as string)) addField(fields, key, value);
    done(null, fields);
  });
  // multipart (a form with a file): parsed by the runtime's own fetch implementation; a file's bytes are
  // kept aside (uploadedFiles), its text fields are fields like any other
  pages.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: UPLOAD_BODY_LIMIT }, async (request: FastifyRequest, body: Buffer) => {
    let parsed: FormData;
    try {
      parsed = await new Response(body, { headers: { 'content-type': request.headers['content-type'] ?? '' } }).formData();
    } catch {
      throw Object.assign(new Error('The form could not be read.'), { statusCode: 400 });
    }
    const fields: Record<string, string | string[]> = Object.create(null);
    const files = new Map<string, UploadedFile>();
    for (const [key, value] of parsed) {
      if (typeof value === 'string') addField(fields, key, value);
      else files.set(key, { filename: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
    }
    uploads.set(fields, files);
    return fields;
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
 * Stateless CSRF tokens: tokens of the purpose 'page form' (src/tokens.ts) bound to what the form is for (a
 * console session, a portal link), so any server process can check one and a forged form without it is refused.
 */
export const csrfToken = (tokens: Tokens, binding: string): string => tokens.bind('page form', binding);

export const csrfValid = (tokens: Tokens, binding: string, presented: string | undefined): boolean => tokens.bound('page form', binding, presented);
