import type { FastifyRequest } from 'fastify';
import { codePointLength, describeType, requireStorableText } from '../domain/text.js';
import { ApiError, invalidRequest, profileNotFound } from '../errors.js';
import { isWellFormedId, type IdPrefix } from '../ids.js';

/*
 * The request readers every API and the hosted pages share: query parameters, path ids, and the building blocks
 * of body readers. Each refusal is a 400 whose message names the field (`field: message`); the route contracts
 * (src/contract/) declare the same rules as JSON Schema, and test/unit/contract-agreement.test.ts holds the two
 * together.
 */

// ---- path parameters

/**
 * A path parameter that must be an id with `prefix`; an id we could never have minted is simply not found
 * (decisions §22), answered with `missing` (the resource's own 404).
 */
export function idParam(request: FastifyRequest, name: string, prefix: IdPrefix, missing: (id: string) => ApiError): string {
  const id = (request.params as Record<string, string>)[name];
  if (!isWellFormedId(prefix, id)) throw missing(id);
  return id;
}

/** The `user_profile_id` path parameter. */
export const profileIdParam = (request: FastifyRequest): string => idParam(request, 'user_profile_id', 'uprof', profileNotFound);

// ---- bodies

/**
 * A JSON object with only the named keys; any other is a 400 naming it. `field` is the object's path in the
 * body, `''` for the body itself, which may be absent: no body reads as `{}` (decisions §35).
 */
export function readObject(field: string, value: unknown, keys: readonly string[]): Record<string, unknown> {
  if (field === '' && value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequest(field ? `${field}: expected an object, got ${describeType(value)}.` : `The request body must be a JSON object, got ${describeType(value)}.`);
  }
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw invalidRequest(`${field ? `${field}.` : ''}${key}: unknown field.`);
  }
  return value as Record<string, unknown>;
}

export function readBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidRequest(`${field}: expected true or false, got ${describeType(value)}.`);
  return value;
}

/** A JSON number from `min` to `max` (an integer when `integer`). */
export function readNumber(field: string, value: unknown, min: number, max: number, integer: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    const got = typeof value === 'number' ? String(value) : describeType(value);
    throw invalidRequest(`${field}: must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got ${got}).`);
  }
  return value;
}

/** A string of 0..max code points that the databases can store. */
export function readText(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string') throw invalidRequest(`${field}: expected a string, got ${describeType(value)}.`);
  const length = codePointLength(value);
  if (length > max) throw invalidRequest(`${field}: must be at most ${max} characters (got ${length}).`);
  requireStorableText(field, value);
  return value;
}

// ---- query parameters

/** A parsed query string: a repeated name becomes an array; `name[]` and `name[0]` are names of their own. */
export type Query = Record<string, string | string[] | undefined>;

const queryOf = (request: FastifyRequest): Query => (request.query ?? {}) as Query;

/** True when the query has `name` in a bracketed form: `name[]`, `name[0]`, `name[x]`. */
function bracketed(query: Query, name: string): boolean {
  const prefix = `${name}[`;
  for (const key in query) if (key.startsWith(prefix)) return true;
  return false;
}

/**
 * A scalar query parameter, given once as `name=value`, or undefined when absent. Array forms — `name[]=…`,
 * `name[0]=…`, or the name twice — are a 400 naming it, never ignored (decisions §37): a client that re-sends its
 * query that way and is answered as if the parameter were absent gets page one again and loops forever.
 * Parameters a route does not read are ignored, as the hosted API does (`?beta=true`, decisions §5).
 */
export function queryParam(request: FastifyRequest, name: string): string | undefined {
  return scalarParam(queryOf(request), name);
}

/** `queryParam` on a query already parsed (a page that reads some of its parameters itself). */
export function scalarParam(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value) || bracketed(query, name)) {
    throw invalidRequest(`${name}: give this query parameter once, as ${name}=value (not repeated, and not as ${name}[]).`);
  }
  return value;
}

/**
 * A list query parameter: `name=a&name=b`, `name[]=a&name[]=b` and `name=a,b` all mean [a, b]; null when absent.
 * Indexed forms (`name[0]=a`) are read the same way.
 */
export function queryList(request: FastifyRequest, name: string): string[] | null {
  return listParam(queryOf(request), name);
}

/** `queryList` on a query already parsed. */
export function listParam(query: Query, name: string): string[] | null {
  const prefix = `${name}[`;
  const raw: string[] = [];
  let present = false;
  for (const key in query) {
    if (key !== name && !key.startsWith(prefix)) continue;
    present = true;
    const value = query[key];
    if (value !== undefined) raw.push(...(Array.isArray(value) ? value : [value]));
  }
  return present ? raw.flatMap((v) => v.split(',')).map((v) => v.trim()) : null;
}

/** An integer query parameter (its decimal digits) from `min` to `max`. */
export function readInteger(name: string, raw: string, min: number, max: number): number {
  const value = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) throw invalidRequest(`${name}: must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)}).`);
  return value;
}

/** The `limit` of a keyset list (decisions §16): 1–100, default 20. */
export const readLimit = (raw: string | undefined): number => (raw === undefined ? 20 : readInteger('limit', raw, 1, 100));
