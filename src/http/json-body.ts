import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { invalidRequest } from '../errors.js';

const BYTE_ORDER_MARK = 0xfeff;

declare module 'fastify' {
  interface FastifyRequest {
    /** a JSON body's bytes as they arrived: what makes a retry "the same request" (http/idempotency.ts) */
    bodyBytes: Buffer | null;
  }
}

/**
 * Reads an `application/json` body:
 * - an empty body is no body (`undefined`), whatever the content-type says (decisions §35): routes without a
 *   body accept it, routes with an optional body read it as `{}`;
 * - bytes that are not UTF-8 are refused, never decoded into U+FFFD and stored (decisions §41);
 * - `JSON.parse` with no reviver: keys are data, so `__proto__`, `constructor` and `prototype` become
 *   ordinary own properties (JSON.parse defines them, it never calls the `__proto__` setter). The readers
 *   refuse them as unknown fields or, inside `metadata`, keep them as keys (domain/metadata.ts copies them
 *   as own properties, never through assignment).
 * A leading byte order mark is skipped, as JSON parsers may (RFC 8259 §8.1).
 */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  if (!isUtf8(body)) {
    throw invalidRequest('The request body is not valid UTF-8; send JSON encoded as UTF-8.');
  }
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === BYTE_ORDER_MARK) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest('The request body is not valid JSON.');
  }
}

/** Replaces Fastify's JSON parser (which refuses `__proto__` keys and calls an empty body an error). */
export function acceptJson(app: FastifyInstance, bodyLimit: number): void {
  app.decorateRequest('bodyBytes', null);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    request.bodyBytes = body as Buffer;
    let parsed: unknown;
    try {
      parsed = parseJsonBody(body as Buffer);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    done(null, parsed);
  });
}
