import type { Actor, ActorType } from '../domain/history.js';
import { ACTION_TYPES } from '../domain/enforcement.js';
import { ACCESS_TYPES, ACCOUNT_STATUSES, DETAIL_KEYS, ENTITY_TYPES, type Profile } from '../domain/profile.js';
import { PROGRAM_STATUSES } from '../domain/programs.js';
import { EVENT_TYPES } from '../domain/events.js';
import { isWellFormedId } from '../ids.js';

/**
 * The export format (`uprof export` → NDJSON → `uprof import`), version 1. One JSON object per line:
 *
 *   {"uprof_export":1,"organization":{"id","name","created_at"},"history":bool,"signing_secrets":"sealed"|"clear"}
 *   {"type":"workspace","id","name","is_default","created_at"}                      every workspace
 *   {"type":"profile","id","name","access_type","internal","external_user_details":{…},"metadata":{…},
 *    "cyber","efs","enforcement_actions","billing_authorized","created_at","updated_at","created_by","created_name"}
 *                                                                                    live profiles, by id
 *                                                                                    (billing_authorized: absent in
 *                                                                                    exports from before the gateway,
 *                                                                                    read as false)
 *   {"type":"history","profile_id","id","at","actor":{"type","id"},"event","detail"}  with --history
 *   {"type":"webhook_endpoint","id","url","name","description","enabled_events","state","disabled_reason",
 *    "failed_events","created_at","updated_at","signing_secret":{"sealed":"v1.…"} | {"clear":"whsec_…"}}
 *
 * Times are epoch milliseconds (lossless); programs and enforcement actions are the canonical stored form.
 * Keys (only their hashes are stored), the webhook outbox and delivery log are not exported.
 */
export const FORMAT_VERSION = 1;

export interface ExportHeader {
  organization: { id: string; name: string; createdAt: number };
  history: boolean;
  signingSecrets: 'sealed' | 'clear';
}

export interface WorkspaceRecord {
  id: string;
  name: string;
  isDefault: boolean;
  createdAt: number;
}

export interface ProfileRecord {
  profile: Profile;
  createdBy: Actor | null;
  createdName: string | null;
}

export interface HistoryRecordLine {
  profileId: string;
  id: string;
  at: number;
  actor: Actor;
  event: string;
  detail: Record<string, unknown>;
}

export interface EndpointRecord {
  id: string;
  url: string;
  name: string;
  description: string;
  enabledEvents: string[];
  state: 'enabled' | 'disabled';
  disabledReason: string;
  failedEvents: number;
  createdAt: number;
  updatedAt: number;
  secret: { sealed: string } | { clear: string };
}

export type ImportLine =
  | { type: 'workspace'; record: WorkspaceRecord }
  | { type: 'profile'; record: ProfileRecord }
  | { type: 'history'; record: HistoryRecordLine }
  | { type: 'webhook_endpoint'; record: EndpointRecord };

// ------------------------------------------------------------------------------------------- writing

export const headerLine = (h: ExportHeader) =>
  JSON.stringify({
    uprof_export: FORMAT_VERSION,
    organization: { id: h.organization.id, name: h.organization.name, created_at: h.organization.createdAt },
    history: h.history,
    signing_secrets: h.signingSecrets,
  });

export const workspaceLine = (w: WorkspaceRecord) =>
  JSON.stringify({ type: 'workspace', id: w.id, name: w.name, is_default: w.isDefault, created_at: w.createdAt });

export function profileLine({ profile: p, createdBy, createdName }: ProfileRecord): string {
  return JSON.stringify({
    type: 'profile', id: p.id, name: p.name, access_type: p.accessType, internal: p.internal,
    external_user_details: p.details, metadata: p.metadata, cyber: p.cyber, efs: p.efs, enforcement_actions: p.actions,
    billing_authorized: p.billingAuthorized, created_at: p.createdAt, updated_at: p.updatedAt, created_by: createdBy, created_name: createdName,
  });
}

export const historyLine = (h: HistoryRecordLine) =>
  JSON.stringify({ type: 'history', profile_id: h.profileId, id: h.id, at: h.at, actor: h.actor, event: h.event, detail: h.detail });

export const endpointLine = (e: EndpointRecord) =>
  JSON.stringify({
    type: 'webhook_endpoint', id: e.id, url: e.url, name: e.name, description: e.description, enabled_events: e.enabledEvents,
    state: e.state, disabled_reason: e.disabledReason, failed_events: e.failedEvents, created_at: e.createdAt,
    updated_at: e.updatedAt, signing_secret: e.secret,
  });

// ------------------------------------------------------------------------------------------- reading

/** A line that is not a valid record: the message names the field; the importer adds the line number. */
export class RecordError extends Error {}

type Json = Record<string, unknown>;

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RecordError(`${field} must be an object`);
  return value as Json;
}
function string(value: unknown, field: string, max = 100_000): string {
  if (typeof value !== 'string') throw new RecordError(`${field} must be a string`);
  if (value.length > max) throw new RecordError(`${field} is longer than ${max} characters`);
  return value;
}
const nullableString = (value: unknown, field: string, max?: number) => (value === null ? null : string(value, field, max));
function time(value: unknown, field: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new RecordError(`${field} must be epoch milliseconds (a non-negative integer)`);
  return value as number;
}
const nullableTime = (value: unknown, field: string) => (value === null ? null : time(value, field));
function boolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new RecordError(`${field} must be true or false`);
  return value;
}
function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (!allowed.includes(value as T)) throw new RecordError(`${field} must be one of ${allowed.join(', ')}`);
  return value as T;
}
function id(value: unknown, prefix: Parameters<typeof isWellFormedId>[0], field: string): string {
  if (typeof value !== 'string' || !isWellFormedId(prefix, value)) throw new RecordError(`${field} must be a ${prefix}_… id`);
  return value;
}
function exactKeys(record: Json, keys: readonly string[], what: string): void {
  for (const key of Object.keys(record)) if (!keys.includes(key)) throw new RecordError(`${what}: unknown field ${JSON.stringify(key)}`);
  for (const key of keys) if (!(key in record)) throw new RecordError(`${what}: missing field ${JSON.stringify(key)}`);
}

const ACTOR_TYPES: readonly ActorType[] = ['platform', 'operator', 'end_customer', 'system'];
function actor(value: unknown, field: string): Actor {
  const a = object(value, field);
  exactKeys(a, ['type', 'id'], field);
  return { type: oneOf(a.type, ACTOR_TYPES, `${field}.type`), id: nullableString(a.id, `${field}.id`, 200) };
}

/** A program is stored as canonical JSON: its shape is checked where a wrong one would break a page or a render. */
function program(value: unknown, field: string): Json | null {
  if (value === null) return null;
  const p = object(value, field);
  oneOf(p.status, PROGRAM_STATUSES, `${field}.status`);
  return p;
}

function actions(value: unknown): Profile['actions'] {
  if (!Array.isArray(value)) throw new RecordError('enforcement_actions must be an array');
  value.forEach((raw, i) => {
    const a = object(raw, `enforcement_actions[${i}]`);
    id(a.id, 'enac', `enforcement_actions[${i}].id`);
    oneOf(a.type, ACTION_TYPES, `enforcement_actions[${i}].type`);
    time(a.openedAt, `enforcement_actions[${i}].openedAt`);
    nullableTime(a.expiresAt, `enforcement_actions[${i}].expiresAt`);
  });
  return value as Profile['actions'];
}

const PROFILE_KEYS = [
  'type', 'id', 'name', 'access_type', 'internal', 'external_user_details', 'metadata', 'cyber', 'efs', 'enforcement_actions',
  'created_at', 'updated_at', 'created_by', 'created_name',
];

function profileRecord(r: Json, organizationId: string): ProfileRecord {
  // billing authorization came with the gateway: an export from before has none, which reads as not authorized
  const billing = 'billing_authorized' in r ? boolean(r.billing_authorized, 'billing_authorized') : false;
  const { billing_authorized: _billing, ...rest } = r;
  exactKeys(rest, PROFILE_KEYS, 'profile');
  const d = object(r.external_user_details, 'external_user_details');
  exactKeys(d, DETAIL_KEYS, 'external_user_details');
  const metadata = object(r.metadata, 'metadata');
  for (const [key, value] of Object.entries(metadata)) string(value, `metadata.${key}`, 512);
  const profile: Profile = {
    id: id(r.id, 'uprof', 'id'),
    organizationId,
    name: nullableString(r.name, 'name', 10_000),
    accessType: oneOf(r.access_type, ACCESS_TYPES, 'access_type'),
    internal: boolean(r.internal, 'internal'),
    details: {
      account_status: d.account_status === null ? null : oneOf(d.account_status, ACCOUNT_STATUSES, 'external_user_details.account_status'),
      country: nullableString(d.country, 'external_user_details.country', 100),
      email_hash: nullableString(d.email_hash, 'external_user_details.email_hash', 1000),
      entity_type: d.entity_type === null ? null : oneOf(d.entity_type, ENTITY_TYPES, 'external_user_details.entity_type'),
      name_hash: nullableString(d.name_hash, 'external_user_details.name_hash', 1000),
      onboarded_at: nullableTime(d.onboarded_at, 'external_user_details.onboarded_at'),
      reference_id: nullableString(d.reference_id, 'external_user_details.reference_id', 1000),
    },
    metadata: metadata as Record<string, string>,
    cyber: program(r.cyber, 'cyber') as Profile['cyber'],
    efs: program(r.efs, 'efs') as Profile['efs'],
    actions: actions(r.enforcement_actions),
    billingAuthorized: billing,
    createdAt: time(r.created_at, 'created_at'),
    updatedAt: time(r.updated_at, 'updated_at'),
  };
  return {
    profile,
    createdBy: r.created_by === null ? null : actor(r.created_by, 'created_by'),
    createdName: nullableString(r.created_name, 'created_name', 10_000),
  };
}

function historyRecord(r: Json): HistoryRecordLine {
  exactKeys(r, ['type', 'profile_id', 'id', 'at', 'actor', 'event', 'detail'], 'history');
  return {
    profileId: id(r.profile_id, 'uprof', 'profile_id'),
    id: id(r.id, 'hist', 'id'),
    at: time(r.at, 'at'),
    actor: actor(r.actor, 'actor'),
    event: string(r.event, 'event', 200),
    detail: object(r.detail, 'detail'),
  };
}

function endpointRecord(r: Json): EndpointRecord {
  exactKeys(r, [
    'type', 'id', 'url', 'name', 'description', 'enabled_events', 'state', 'disabled_reason', 'failed_events', 'created_at',
    'updated_at', 'signing_secret',
  ], 'webhook_endpoint');
  if (!Array.isArray(r.enabled_events)) throw new RecordError('enabled_events must be an array');
  const events = r.enabled_events.map((e, i) => oneOf(e, EVENT_TYPES, `enabled_events[${i}]`));
  const secret = object(r.signing_secret, 'signing_secret');
  let sealedOrClear: EndpointRecord['secret'];
  if ('sealed' in secret && Object.keys(secret).length === 1) sealedOrClear = { sealed: string(secret.sealed, 'signing_secret.sealed', 1000) };
  else if ('clear' in secret && Object.keys(secret).length === 1) sealedOrClear = { clear: string(secret.clear, 'signing_secret.clear', 1000) };
  else throw new RecordError('signing_secret must be {"sealed": …} or {"clear": …}');
  if (!Number.isSafeInteger(r.failed_events) || (r.failed_events as number) < 0) throw new RecordError('failed_events must be a non-negative integer');
  let url: URL;
  try {
    url = new URL(string(r.url, 'url', 2048));
  } catch {
    throw new RecordError('url must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RecordError('url must be http(s)');
  return {
    id: id(r.id, 'whep', 'id'),
    url: r.url as string,
    name: string(r.name, 'name', 1000),
    description: string(r.description, 'description', 10_000),
    enabledEvents: events,
    state: oneOf(r.state, ['enabled', 'disabled'] as const, 'state'),
    disabledReason: string(r.disabled_reason, 'disabled_reason', 10_000),
    failedEvents: r.failed_events as number,
    createdAt: time(r.created_at, 'created_at'),
    updatedAt: time(r.updated_at, 'updated_at'),
    secret: sealedOrClear,
  };
}

/** The first line of an export. */
export function parseHeader(text: string): ExportHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RecordError('not JSON (the first line of a uprof export is its header)');
  }
  const h = object(raw, 'header');
  if (h.uprof_export !== FORMAT_VERSION) throw new RecordError(`not a uprof export of format ${FORMAT_VERSION} (no "uprof_export": ${FORMAT_VERSION})`);
  exactKeys(h, ['uprof_export', 'organization', 'history', 'signing_secrets'], 'header');
  const o = object(h.organization, 'organization');
  exactKeys(o, ['id', 'name', 'created_at'], 'organization');
  return {
    organization: { id: id(o.id, 'org', 'organization.id'), name: string(o.name, 'organization.name', 1000), createdAt: time(o.created_at, 'organization.created_at') },
    history: boolean(h.history, 'history'),
    signingSecrets: oneOf(h.signing_secrets, ['sealed', 'clear'] as const, 'signing_secrets'),
  };
}

/** Any later line. */
export function parseLine(text: string, organizationId: string): ImportLine {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RecordError('not JSON');
  }
  const r = object(raw, 'line');
  switch (r.type) {
    case 'workspace':
      exactKeys(r, ['type', 'id', 'name', 'is_default', 'created_at'], 'workspace');
      return {
        type: 'workspace',
        record: { id: id(r.id, 'wrkspc', 'id'), name: string(r.name, 'name', 1000), isDefault: boolean(r.is_default, 'is_default'), createdAt: time(r.created_at, 'created_at') },
      };
    case 'profile':
      return { type: 'profile', record: profileRecord(r, organizationId) };
    case 'history':
      return { type: 'history', record: historyRecord(r) };
    case 'webhook_endpoint':
      return { type: 'webhook_endpoint', record: endpointRecord(r) };
    default:
      throw new RecordError(`unknown type ${JSON.stringify(r.type)} (workspace, profile, history, webhook_endpoint)`);
  }
}
