import type { FastifyRequest } from 'fastify';
import { invalidRequest } from '../errors.js';

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
