import type { TSchema } from '@sinclair/typebox';
import { ALL_DIALECTS, type Dialect } from '../dialects/index.js';
import { ANTHROPIC_VERSIONS, WEBHOOKS_BETA } from '../http/admission.js';
import { PROFILE_HEADER } from '../gateway/attribution.js';
import type { Route } from '../http/route.js';
import { emulatorRoutes } from '../http/routes/operator/emulator/index.js';
import { gatewayApi, messageRoutes } from '../http/routes/messages/index.js';
import { gatewayOperatorRoutes } from '../http/routes/operator/gateway/index.js';
import { operatorRoutes } from '../http/routes/operator/index.js';
import { userProfileRoutes } from '../http/routes/user-profiles/index.js';
import { webhookRoutes } from '../http/routes/webhooks/index.js';
import { VERSION } from '../cli/version.js';
import { type Shape } from './route-contract.js';
import { ErrorEnvelope } from './schema.js';

/*
 * The OpenAPI 3.1 document, generated from the route contracts: served at `GET /v1/openapi.json` and printed by
 * `uprof openapi`.
 *
 * The User Profiles API has four dialects, chosen by the `anthropic-beta` header, which OpenAPI cannot branch on.
 * So there are two kinds of document:
 * - the whole API (no dialect named): each User Profiles body and answer is `anyOf` the dialects' schemas, each
 *   titled with the `anthropic-beta` value that selects it. `anyOf`, not `oneOf`: `{}` is a valid create body, and
 *   an empty page a valid answer, in every dialect, and `oneOf` would call them invalid;
 * - one dialect (`?dialect=user-profiles-2026-08-18`, `?dialect=ga`): the User Profiles routes with that dialect's
 *   schemas only, and its `anthropic-beta` value as the header's only value. This is what a validating proxy, a
 *   client generator or a contract test can use: every body has exactly one schema.
 */

/** How a document names a dialect: its beta value, or `ga`. */
export const dialectName = (dialect: Dialect): string => dialect.beta ?? 'ga';
export const DIALECT_NAMES = ALL_DIALECTS.map(dialectName);

interface Section {
  tag: string;
  description: string;
  routes: readonly Route<never>[];
  headers: readonly object[];
  security: object[];
}

const header = (name: string, required: boolean, schema: object, description: string) => ({ name, in: 'header', required, schema, description });
const versionHeader = header('anthropic-version', true, { enum: ANTHROPIC_VERSIONS }, 'Required (decisions §4).');
const idempotencyHeader = header(
  'Idempotency-Key', false, { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
  'A repeat of this request with the same key within 24 hours gets the first answer again (idempotent-replayed: true) and changes ' +
    'nothing; the same key with another request is a 400, and a repeat while the first still runs a 409 (decisions §51).',
);
const workspaceHeader = header(
  'anthropic-workspace-id',
  false,
  { type: 'string' },
  'The workspace an organization-wide key acts for (default: its default workspace); echoed on every answer (decisions §6).',
);

function profileBetaHeader(dialect: Dialect | null) {
  if (dialect === null) {
    return header(
      'anthropic-beta',
      false,
      { type: 'string' },
      'Selects the dialect (decisions §1–3): a comma-separated list; the newest user-profiles-* value wins; without one, the GA surface. ' +
        `Dialects: ${ALL_DIALECTS.map((d) => d.beta ?? 'GA (no user-profiles value)').join(', ')}. ` +
        'Other betas are ignored. Each body and answer below is anyOf the dialects, each titled by the value that selects it.',
    );
  }
  return dialect.beta === null
    ? header('anthropic-beta', false, { type: 'string', not: { pattern: 'user-profiles-' } }, 'This document describes the GA surface: send no user-profiles-* value.')
    : header('anthropic-beta', true, { const: dialect.beta }, `This document describes ${dialect.beta}.`);
}

const apiKeySecurity = [{ apiKey: [] }, { bearer: [] }];

function sections(dialect: Dialect | null, emulator: boolean): Section[] {
  const list: Section[] = [
    {
      tag: 'User Profiles',
      description: 'Platform keys (decisions §31–32). The dialect is chosen by anthropic-beta.',
      routes: userProfileRoutes,
      headers: [versionHeader, profileBetaHeader(dialect), workspaceHeader],
      security: apiKeySecurity,
    },
    {
      tag: 'Organization webhooks',
      description: `Admin keys and organization-wide keys; a workspace-bound key may only read (decisions §32). Needs anthropic-beta: ${WEBHOOKS_BETA}.`,
      routes: webhookRoutes,
      headers: [
        versionHeader,
        header('anthropic-beta', true, { type: 'string', pattern: WEBHOOKS_BETA }, `Must include ${WEBHOOKS_BETA}; without it these routes answer 404.`),
        workspaceHeader,
      ],
      security: apiKeySecurity,
    },
    {
      tag: 'Operator',
      description: 'Operator keys only (decisions §24); any other key gets 404.',
      routes: operatorRoutes,
      headers: [],
      security: apiKeySecurity,
    },
    {
      tag: gatewayApi.name,
      description:
        'The inference gateway (decisions §39): platform keys (admin keys are refused). Attribution is applied before anything ' +
        'goes upstream; bodies and answers pass as sent, so their schemas name what uprof reads and leave other fields open.',
      routes: messageRoutes,
      headers: [
        versionHeader,
        header('anthropic-beta', false, { type: 'string' }, 'Passed upstream as sent.'),
        workspaceHeader,
        header(
          PROFILE_HEADER, false, { type: 'string' },
          'The user profile the request is attributed to: its standing, billing authorization and budget apply (decisions §39). ' +
            'Removed before forwarding.',
        ),
      ],
      security: apiKeySecurity,
    },
    {
      tag: 'Gateway operator',
      description: "Operator keys only: the inference gateway's metered usage, budgets, billing authorization and settings (decisions §39).",
      routes: gatewayOperatorRoutes,
      headers: [],
      security: apiKeySecurity,
    },
  ];
  if (emulator) {
    list.push({
      tag: 'Emulator',
      description: 'Operator keys; these routes exist only when the server runs with UPROF_EMULATOR=1 (decisions §38).',
      routes: emulatorRoutes,
      headers: [],
      security: apiKeySecurity,
    });
  }
  return list;
}

/** Collects titled schemas as components and puts `$ref`s in their place. */
class Components {
  readonly schemas: Record<string, unknown> = { Error: this.plain(ErrorEnvelope) };

  /** A component name from a title: `UserProfile (user-profiles-2026-03-24)` → `UserProfile.user-profiles-2026-03-24`. */
  private static nameOf(title: string): string {
    return title.replace(/ \(/g, '.').replace(/\)/g, '').replace(/[^A-Za-z0-9._-]+/g, '-');
  }

  /** The schema as plain JSON (TypeBox's symbols dropped), titled parts as references. */
  plain(schema: TSchema | object): unknown {
    return this.walk(JSON.parse(JSON.stringify(schema)), true);
  }

  private walk(node: unknown, root = false): unknown {
    if (Array.isArray(node)) return node.map((item) => this.walk(item));
    if (typeof node !== 'object' || node === null) return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) out[key] = key === 'const' || key === 'enum' || key === 'default' ? value : this.walk(value);
    const title = (node as { title?: unknown }).title;
    if (root || typeof title !== 'string') return out;
    const name = Components.nameOf(title);
    const existing = this.schemas[name];
    if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(out)) throw new Error(`Two different schemas are titled ${title}.`);
    this.schemas[name] = out;
    return { $ref: `#/components/schemas/${name}` };
  }

  /** A shape as one schema: the dialect's, or anyOf every dialect's (each titled). */
  shape(shape: Shape, dialect: Dialect | null): unknown {
    if (typeof shape !== 'function') return this.walk(JSON.parse(JSON.stringify(shape)));
    if (dialect !== null) return this.walk(JSON.parse(JSON.stringify(shape(dialect))));
    const schemas = ALL_DIALECTS.map((d) => shape(d));
    const distinct = schemas.filter((schema, i) => schemas.indexOf(schema) === i);
    const variants = distinct.map((schema) => this.walk(JSON.parse(JSON.stringify(schema))));
    return variants.length === 1 ? variants[0] : { anyOf: variants, description: 'One schema per dialect: the one the anthropic-beta header selects.' };
  }
}

/** The routes outside the key-authenticated APIs (src/http/operations.ts, src/http/openapi.ts): no contract of their own. */
function operationsPaths(): Record<string, Record<string, unknown>> {
  const json = (schema: object) => ({ 'application/json': { schema } });
  const status = (value: string) => ({ type: 'object', properties: { status: { const: value } }, required: ['status'], additionalProperties: false });
  const operation = (operationId: string, summary: string, responses: object, extra: object = {}) => ({
    get: { operationId, summary, tags: ['Operations'], security: [], responses, ...extra },
  });
  return {
    '/healthz': operation('healthz', 'Liveness: the process serves (no database involved)', { 200: { description: 'OK', content: json(status('ok')) } }),
    '/readyz': operation('readyz', 'Readiness: the database answers and every migration is applied', {
      200: { description: 'Ready', content: json(status('ready')) },
      503: errorResponse('Not ready, and why.'),
    }),
    '/metrics': operation(
      'metrics',
      'Prometheus metrics: with METRICS_TOKEN set, Authorization: Bearer <token>; without, only on a loopback listener',
      { 200: { description: 'Prometheus text', content: { 'text/plain': { schema: { type: 'string' } } } }, '4XX': errorResponse('No token, or a wrong one.') },
      { security: [{}, { bearer: [] }] },
    ),
    '/v1/openapi.json': operation(
      'openapi',
      'This document',
      { 200: { description: 'OpenAPI 3.1', content: json({ type: 'object' }) }, '4XX': errorResponse('An unknown dialect.') },
      { parameters: [{ name: 'dialect', in: 'query', required: false, schema: { enum: DIALECT_NAMES }, description: 'one User Profiles dialect only' }] },
    ),
  };
}

const errorResponse = (description: string) => ({
  description,
  headers: { 'request-id': { schema: { type: 'string' } } },
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** The document; `dialect` (a beta value or `ga`) narrows the User Profiles routes to one dialect. */
export function openApiDocument(options: { dialect?: Dialect | null; emulator?: boolean; serverUrl?: string } = {}): Record<string, unknown> {
  const dialect = options.dialect ?? null;
  const components = new Components();
  const paths: Record<string, Record<string, unknown>> = operationsPaths();
  const tags = [{ name: 'Operations', description: 'Health, readiness, metrics and this document; no API key.' }];
  for (const section of sections(dialect, options.emulator ?? false)) {
    tags.push({ name: section.tag, description: section.description });
    for (const route of section.routes as readonly Route[]) {
      // a beta-only route does not exist on the GA surface (decisions §3)
      if (route.betaOnly && dialect !== null && dialect.beta === null) continue;
      const contract = route.contract;
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const parameters: object[] = [];
      for (const [name, schema] of Object.entries(contract.params?.properties ?? {})) {
        parameters.push({ name, in: 'path', required: true, schema: components.plain(schema) });
      }
      for (const [name, schema] of Object.entries(contract.query?.properties ?? {})) {
        const plain = components.plain(schema) as { type?: string; description?: string };
        parameters.push({ name, in: 'query', required: false, schema: plain, ...(plain.type === 'array' ? { style: 'form', explode: true } : {}) });
      }
      parameters.push(...section.headers);
      // every POST of every key-authenticated API, unless its answer cannot be replayed (src/http/route.ts, http/idempotency.ts)
      if (route.method === 'POST' && route.idempotencyKey !== false) parameters.push(idempotencyHeader);
      // JSON, and the other media types a route writes itself (a stream, JSON Lines)
      const content: Record<string, { schema: unknown }> = {};
      if (contract.response !== undefined) content['application/json'] = { schema: components.shape(contract.response, dialect) };
      for (const [type, schema] of Object.entries(contract.media ?? {})) content[type] = { schema: components.shape(schema, dialect) };
      const operation: Record<string, unknown> = {
        operationId: contract.id,
        summary: contract.summary,
        tags: [section.tag],
        security: section.security,
        parameters,
        responses: {
          200: {
            description: 'OK',
            headers: { 'request-id': { schema: { type: 'string' } } },
            content,
          },
          '4XX': errorResponse('Refused: the message names the field or header (decisions §10).'),
          '5XX': errorResponse('A server error; x-should-retry says whether a retry is safe (decisions §34).'),
        },
      };
      if (route.betaOnly) operation.description = 'Beta surface only: without a user-profiles-* anthropic-beta value it answers 404 (decisions §3).';
      if (contract.body !== undefined) {
        operation.requestBody = {
          required: contract.bodyRequired ?? false,
          content: { 'application/json': { schema: components.shape(contract.body, dialect) } },
        };
      }
      (paths[path] ??= {})[route.method.toLowerCase()] = operation;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'uprof',
      version: VERSION,
      description:
        'A self-hostable, wire-compatible implementation of the User Profiles API, with organization webhooks, an operator API ' +
        'and an inference gateway (Messages and Message Batches). ' +
        (dialect === null
          ? `User Profiles bodies are anyOf the dialects (${DIALECT_NAMES.join(', ')}); ?dialect=NAME gives the document of one.`
          : `This document describes the User Profiles dialect ${dialectName(dialect)} only.`),
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags,
    paths,
    components: {
      schemas: components.schemas,
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'A platform, admin or operator key, as each API requires.' },
        bearer: { type: 'http', scheme: 'bearer', description: 'The same key as Authorization: Bearer (decisions §5).' },
      },
    },
  };
}

/** The dialect a document is asked for by name (`ga` or a beta value); undefined when none has that name. */
export const dialectNamed = (name: string): Dialect | undefined => ALL_DIALECTS.find((d) => dialectName(d) === name);
