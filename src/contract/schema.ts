import { ERROR_TYPES } from '../errors.js';
import { Type, type TLiteral, type TSchema, type TUnion, type TProperties, type TObject, type ObjectOptions } from '@sinclair/typebox';

/*
 * The building blocks of the route contracts: JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it) written with
 * TypeBox, so each schema is also a TypeScript type (`Static<typeof S>`). Lengths (`maxLength`) count Unicode
 * code points, as JSON Schema does and as the readers do.
 */

/** An object with exactly these properties: a stray field is a violation (every answer is guarded in tests). */
export const Closed = <T extends TProperties>(properties: T, options: ObjectOptions = {}): TObject<T> =>
  Type.Object(properties, { additionalProperties: false, ...options });

/** One of these strings. */
export const Enum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}): TUnion<TLiteral<T[number]>[]> =>
  Type.Union(values.map((value) => Type.Literal(value)), options);

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * RFC 3339 with a time zone offset (decisions §14). The pattern is the reader's (domain/time.ts); that the date
 * exists and is at most a minute ahead are rules beyond JSON Schema, enforced by the reader.
 */
export const TIMESTAMP_PATTERN = '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})$';
export const TimestampIn = (description?: string) => Type.String({ pattern: TIMESTAMP_PATTERN, format: 'date-time', description });

/** A timestamp uprof writes: UTC with `Z`, milliseconds only when there are any. */
export const Timestamp = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3})?Z$', format: 'date-time' });

/** An id uprof minted: the prefix, `01` and 22 base62 characters (decisions §22). */
export const Id = (prefix: string) => Type.String({ pattern: `^${prefix}_01[0-9A-Za-z]{22}$` });

/** Text the databases can store: well-formed Unicode without NUL (beyond JSON Schema: domain/text.ts). */
export const Text = (options: { minLength?: number; maxLength: number; description?: string }) => Type.String(options);

/** Every refusal, on every API (the team's rule, decisions §7). */
export const ErrorEnvelope = Closed(
  {
    type: Type.Literal('error'),
    error: Closed({
      type: Enum(ERROR_TYPES),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
    request_id: Type.String({ pattern: '^req_' }),
  },
  { $id: 'Error', title: 'Error', description: 'Every error on every API, with the `request-id` header repeated as `request_id`.' },
);

/** A route that takes no body: none, or `{}` (decisions §35). */
export const NoBody = Closed({}, { description: 'No body, or an empty object.' });

/** The path parameters of a route: each a string (a malformed id is the resource's 404, decisions §22). */
export const Params = <const K extends string>(...names: K[]) =>
  Closed(Object.fromEntries(names.map((name) => [name, Type.String()])) as Record<K, ReturnType<typeof Type.String>>);

/** A link to the hosted pages (decisions §21). */
export const LinkFields = { url: Type.String({ format: 'uri' }), expires_at: Timestamp };
