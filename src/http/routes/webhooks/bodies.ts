import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { Closed, Enum, Text } from '../../../contract/schema.js';
import { EVENT_TYPES, type EventType } from '../../../domain/events.js';
import { describeType, readEnum } from '../../../domain/text.js';
import { invalidRequest } from '../../../errors.js';
import { queryParam, readInteger, readObject, readText } from '../../readers.js';
import { nonPublicUrl } from '../../../webhooks/targets.js';

/** Field limits of contract-2 §2.4 (the vendor leaves them unknown; these are its recommendations). */
export const URL_MAX = 2048;
export const NAME_MAX = 255;
export const DESCRIPTION_MAX = 1024;
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
export const ENDPOINT_STATES = ['enabled', 'disabled'] as const;
export type EndpointState = (typeof ENDPOINT_STATES)[number];

export interface EndpointFields {
  url?: string;
  enabledEvents?: EventType[];
  name?: string;
  description?: string;
  state?: EndpointState;
}

/** decisions §33: plain http only for these */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * An absolute `https://` URL of at most 2048 characters; `http://` only for loopback hosts (decisions §33);
 * and unless `allowPrivate`, not aimed at a loopback, private or otherwise non-public address.
 */
function readUrl(value: unknown, allowPrivate: boolean): string {
  const text = readSchemeAndForm(value);
  const refused = allowPrivate ? null : nonPublicUrl(new URL(text));
  if (refused) {
    throw invalidRequest(`url: ${refused}; this server delivers webhooks only to public addresses (its operator can allow private ones).`);
  }
  return text;
}

function readSchemeAndForm(value: unknown): string {
  const text = readText('url', value, URL_MAX);
  if (text === '') throw invalidRequest('url: must not be empty.');
  if (text.trim() !== text) throw invalidRequest('url: must not begin or end with whitespace.');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidRequest(`url: ${JSON.stringify(text)} is not an absolute URL.`);
  }
  if (url.protocol === 'https:') return text;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return text;
  if (url.protocol === 'http:') {
    throw invalidRequest('url: must use https:// (plain http:// is accepted only for localhost, 127.0.0.0/8 and [::1]).');
  }
  throw invalidRequest(`url: must use https:// (got ${JSON.stringify(url.protocol.slice(0, -1))}).`);
}

/** A list of known event types, each once, in the order given. */
function readEvents(value: unknown): EventType[] {
  if (!Array.isArray(value)) throw invalidRequest(`enabled_events: expected an array of event types, got ${describeType(value)}.`);
  const events = value.map((item, i) => readEnum(`enabled_events[${i}]`, item, EVENT_TYPES));
  return [...new Set(events)];
}

/** W1 body: `{url, enabled_events, name?, description?}`; `allowPrivate`: see readUrl. */
export function readCreateBody(value: unknown, allowPrivate: boolean): Required<Omit<EndpointFields, 'state'>> {
  const body = readObject('', value, ['url', 'enabled_events', 'name', 'description']);
  if (body.url === undefined) throw invalidRequest('url: is required.');
  if (body.enabled_events === undefined) throw invalidRequest('enabled_events: is required.');
  const enabledEvents = readEvents(body.enabled_events);
  if (enabledEvents.length === 0) throw invalidRequest('enabled_events: name at least one event type.');
  return {
    url: readUrl(body.url, allowPrivate),
    enabledEvents,
    name: body.name === undefined ? '' : readText('name', body.name, NAME_MAX),
    description: body.description === undefined ? '' : readText('description', body.description, DESCRIPTION_MAX),
  };
}

/** W3 body: every field optional; an empty `enabled_events` leaves the set unchanged (contract-2 §2.4). */
export function readUpdateBody(value: unknown, allowPrivate: boolean): EndpointFields {
  const body = readObject('', value, ['url', 'enabled_events', 'name', 'description', 'state']);
  const fields: EndpointFields = {};
  if (body.url !== undefined) fields.url = readUrl(body.url, allowPrivate);
  if (body.enabled_events !== undefined) {
    const events = readEvents(body.enabled_events);
    if (events.length > 0) fields.enabledEvents = events;
  }
  if (body.name !== undefined) fields.name = readText('name', body.name, NAME_MAX);
  if (body.description !== undefined) fields.description = readText('description', body.description, DESCRIPTION_MAX);
  if (body.state !== undefined) fields.state = readEnum('state', body.state, ENDPOINT_STATES);
  return fields;
}

/** Operations that take no body (W6, resend): nothing, or an empty object. */
export function readNoBody(value: unknown): void {
  readObject('', value, []);
}


/** W4 query (contract-2 §2.5): `limit` 0–100 (0 and absent mean 20), `after_id` or `before_id`, `order` asc/desc (default desc). */
export function readPageQuery(request: FastifyRequest) {
  const rawLimit = queryParam(request, 'limit');
  const limit = rawLimit === undefined ? DEFAULT_LIMIT : readInteger('limit', rawLimit, 0, MAX_LIMIT) || DEFAULT_LIMIT;
  const order = readEnum('order', queryParam(request, 'order') ?? 'desc', ['asc', 'desc'] as const);
  const afterId = queryParam(request, 'after_id') || null;
  const beforeId = queryParam(request, 'before_id') || null;
  if (afterId && beforeId) throw invalidRequest('after_id, before_id: give at most one of them.');
  return { limit, order, afterId, beforeId };
}

/** Delivery log query: `limit` 1–100, default 20. */
export function readLogLimit(request: FastifyRequest): number {
  const raw = queryParam(request, 'limit');
  return raw === undefined ? DEFAULT_LIMIT : readInteger('limit', raw, 1, MAX_LIMIT);
}

// ---- the contract of these bodies and queries (the readers above enforce them, with the rules JSON Schema cannot say:
// the URL's scheme and target, decisions §33; storable text)

const Url = Text({ minLength: 1, maxLength: URL_MAX, description: 'https://, or http:// to a loopback host (decisions §33)' });
const Events = (minItems: number) => Type.Array(Enum(EVENT_TYPES), { minItems, description: 'each event type once; repeats are dropped' });

export const CreateEndpointBody = Closed(
  {
    url: Url,
    enabled_events: Events(1),
    name: Type.Optional(Text({ maxLength: NAME_MAX })),
    description: Type.Optional(Text({ maxLength: DESCRIPTION_MAX })),
  },
  { title: 'CreateWebhookEndpoint' },
);

export const UpdateEndpointBody = Closed(
  {
    url: Type.Optional(Url),
    enabled_events: Type.Optional(Events(0)),
    name: Type.Optional(Text({ maxLength: NAME_MAX })),
    description: Type.Optional(Text({ maxLength: DESCRIPTION_MAX })),
    state: Type.Optional(Enum(ENDPOINT_STATES)),
  },
  { title: 'UpdateWebhookEndpoint' },
);

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_LIMIT, description: '0 or absent: 20' })),
  order: Type.Optional(Enum(['asc', 'desc'] as const)),
  after_id: Type.Optional(Type.String()),
  before_id: Type.Optional(Type.String({ description: 'at most one of after_id and before_id' })),
});

export const LogQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })) });
