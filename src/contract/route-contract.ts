import type { TObject, TSchema } from '@sinclair/typebox';
import type { Dialect } from '../dialects/dialect.js';

/**
 * A schema, or — on the User Profiles API, whose bodies differ by version — the schema of each dialect (the
 * version a request's `anthropic-beta` header selects: decisions §1–3).
 */
export type Shape = TSchema | ((dialect: Dialect) => TSchema);

/**
 * What a route takes and answers, declared next to its handler. The OpenAPI document (contract/openapi.ts) is
 * generated from these, and the tests guard every answer against `response` (test/support/contract-guard.ts).
 * The readers stay the enforcement: their messages name the field and the version that accepts it, and some
 * rules lie beyond JSON Schema (docs/architecture.md, *Route contracts*).
 */
export interface Contract {
  /** the operation's OpenAPI `operationId` */
  id: string;
  summary: string;
  /** the path parameters */
  params?: TObject;
  /** the query parameters a route reads (others are ignored, unless the route says otherwise) */
  query?: TObject;
  /** the JSON body; absent: the route takes none (an empty body or `{}` is accepted, decisions §35) */
  body?: Shape;
  /** whether a body must be sent (else no body reads as `{}`) */
  bodyRequired?: boolean;
  /** the JSON body of the 200 answer; absent when the route answers only in `media` */
  response?: Shape;
  /**
   * 200 answers in media types other than JSON, which the handler writes itself: media type → schema of the whole
   * text (the gateway's server-sent events and JSON Lines). The tests' response guard reads JSON answers only.
   */
  media?: Readonly<Record<string, TSchema>>;
}

export const shapeFor = (shape: Shape, dialect: Dialect): TSchema => (typeof shape === 'function' ? shape(dialect) : shape);

/** A per-dialect shape whose schema is built once per dialect (a compiled validator and an OpenAPI component each). */
export function byDialect(build: (dialect: Dialect) => TSchema): (dialect: Dialect) => TSchema {
  const built = new Map<Dialect, TSchema>();
  return (dialect) => {
    let schema = built.get(dialect);
    if (!schema) built.set(dialect, (schema = build(dialect)));
    return schema;
  };
}
