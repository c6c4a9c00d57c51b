import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { DIALECT_NAMES } from '../../src/contract/openapi.ts';
import type { Route } from '../../src/http/route.ts';
import { messageRoutes } from '../../src/http/routes/messages/index.ts';
import { emulatorRoutes } from '../../src/http/routes/operator/emulator/index.ts';
import { operatorRoutes } from '../../src/http/routes/operator/index.ts';
import { gatewayOperatorRoutes } from '../../src/http/routes/operator/gateway/index.ts';
import { userProfileRoutes } from '../../src/http/routes/user-profiles/index.ts';
import { webhookRoutes } from '../../src/http/routes/webhooks/index.ts';
import { engines } from '../support/engines.ts';
import { uprofCli } from '../support/processes.ts';
import { call, startServer, type TestServer } from '../support/server.ts';

const [engine] = await engines();
const METHODS = ['get', 'post', 'delete'] as const;
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

/** Every (path, method) a document describes. */
function operations(document: any): string[] {
  return Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
    METHODS.filter((m) => m in item).map((m) => `${m.toUpperCase()} ${path}`),
  );
}

/** The routes outside the key-authenticated APIs. */
const OPERATIONS = ['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /v1/openapi.json'];
const described = (routes: readonly Route<never>[]) => routes.map((r) => `${r.method} ${openApiPath(r.url)}`);

describe('the OpenAPI document', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(engine, { UPROF_EMULATOR: '1' });
  });
  after(async () => {
    await server?.close();
  });

  const served = async (query = '') => {
    const answer = await call(server, 'GET', `/v1/openapi.json${query}`, { headers: { 'anthropic-version': null } });
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    return answer.json;
  };

  it('is served without a key, and is a valid OpenAPI 3.1 document (whole, and per dialect)', async () => {
    for (const query of ['', ...DIALECT_NAMES.map((name) => `?dialect=${name}`)]) {
      const document = await served(query);
      assert.equal(document.openapi, '3.1.0');
      const result = await validate(structuredClone(document));
      assert.ok(result.valid, `${query || 'whole'}: ${JSON.stringify(result)}`);
      assert.deepEqual(result.warnings, []);
    }
  });

  it('has every schema compile under JSON Schema 2020-12 in strict mode', async () => {
    const ajv = new Ajv2020({ strict: true, validateFormats: false, allowUnionTypes: true });
    const document = await served();
    // the components as one schema, so that their $refs resolve (each is compiled, strictly, when referenced)
    ajv.addKeyword('components');
    ajv.addSchema({ $id: 'doc', components: document.components }, 'doc');
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      assert.doesNotThrow(() => ajv.compile({ $ref: `doc#/components/schemas/${name}` }), name);
      assert.ok(schema);
    }
  });

  it('describes every route this server serves, and nothing else', async () => {
    const document = await served();
    const routes = [...userProfileRoutes, ...webhookRoutes, ...operatorRoutes, ...messageRoutes, ...gatewayOperatorRoutes, ...emulatorRoutes];
    assert.deepEqual(operations(document).sort(), [...described(routes), ...OPERATIONS].sort());
    for (const operation of OPERATIONS) assert.ok(server.app.hasRoute({ method: 'GET', url: operation.slice(4) }), operation);
    for (const route of routes) assert.ok(server.app.hasRoute({ method: route.method, url: route.url }), route.url);
    const ids = operations(document).map((op) => {
      const [method, path] = op.split(' ');
      return document.paths[path][method.toLowerCase()].operationId;
    });
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
  });

  it('selects the dialect: the whole document offers each, a dialect document only its own', async () => {
    const whole = await served();
    const retrieve = whole.paths['/v1/user_profiles/{user_profile_id}'].get;
    const offered = retrieve.responses['200'].content['application/json'].schema.anyOf.map((s: { $ref: string }) => s.$ref);
    assert.deepEqual(offered.sort(), [
      '#/components/schemas/UserProfile.GA',
      '#/components/schemas/UserProfile.user-profiles-2026-03-24',
      '#/components/schemas/UserProfile.user-profiles-2026-08-18',
      '#/components/schemas/UserProfile.user-profiles-2026-09-04',
    ]);
    const beta = await served('?dialect=user-profiles-2026-08-18');
    const one = beta.paths['/v1/user_profiles/{user_profile_id}'].get;
    assert.deepEqual(one.responses['200'].content['application/json'].schema, { $ref: '#/components/schemas/UserProfile.user-profiles-2026-08-18' });
    assert.deepEqual(one.parameters.find((p: { name: string }) => p.name === 'anthropic-beta').schema, { const: 'user-profiles-2026-08-18' });
    // the enrollment URL exists on the beta surface only (decisions §3)
    assert.ok(beta.paths['/v1/user_profiles/{user_profile_id}/enrollment_url']);
    assert.equal((await served('?dialect=ga')).paths['/v1/user_profiles/{user_profile_id}/enrollment_url'], undefined);
  });

  it("describes the gateway's routes: JSON or server-sent events, JSON Lines, no Idempotency-Key where a stream may answer", async () => {
    const document = await served();
    const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
    const parameters = (operation: any) => operation.parameters.map((p: { name: string }) => p.name);
    const create = document.paths['/v1/messages'].post;
    assert.deepEqual(create.requestBody, { required: true, content: { 'application/json': { schema: ref('MessageCreateParams') } } });
    assert.deepEqual(Object.keys(create.responses['200'].content), ['application/json', 'text/event-stream']);
    assert.deepEqual(create.responses['200'].content['application/json'].schema, ref('Message'));
    assert.deepEqual(parameters(create), ['beta', 'anthropic-version', 'anthropic-beta', 'anthropic-workspace-id', 'anthropic-user-profile-id']);
    assert.ok(parameters(document.paths['/v1/messages/batches'].post).includes('Idempotency-Key'), 'a batch is kept and replayed');
    assert.deepEqual(document.paths['/v1/messages/count_tokens'].post.responses['200'].content['application/json'].schema, ref('MessageTokensCount'));
    assert.deepEqual(document.paths['/v1/messages/batches'].get.responses['200'].content['application/json'].schema, ref('MessageBatchList'));
    assert.deepEqual(document.paths['/v1/messages/batches/{message_batch_id}'].get.responses['200'].content['application/json'].schema, ref('MessageBatch'));
    const results = document.paths['/v1/messages/batches/{message_batch_id}/results'].get.responses['200'].content;
    assert.deepEqual(Object.keys(results), ['application/binary']);
    // bodies go upstream as sent and answers may be the upstream's: their objects stay open
    assert.equal(document.components.schemas.MessageCreateParams.additionalProperties, undefined);
    assert.equal(document.components.schemas.Message.additionalProperties, undefined);
  });

  it('describes the error envelope and the auth schemes on every operation', async () => {
    const document = await served();
    assert.deepEqual(Object.keys(document.components.securitySchemes).sort(), ['apiKey', 'bearer']);
    assert.deepEqual(document.components.schemas.Error.required.sort(), ['error', 'request_id', 'type']);
    for (const [path, item] of Object.entries(document.paths) as [string, Record<string, any>][]) {
      if (OPERATIONS.some((operation) => operation.endsWith(` ${path}`))) continue;
      for (const operation of Object.values(item)) {
        assert.deepEqual(operation.security, [{ apiKey: [] }, { bearer: [] }]);
        for (const status of ['4XX', '5XX']) assert.equal(operation.responses[status].content['application/json'].schema.$ref, '#/components/schemas/Error');
      }
    }
  });

  it('refuses an unknown dialect in the envelope', async () => {
    const answer = await call(server, 'GET', '/v1/openapi.json?dialect=user-profiles-1999-01-01');
    assert.equal(answer.status, 400);
    assert.match(answer.json.error.message, /^dialect: must be one of "ga", "user-profiles-2026-09-04", .* \(got "user-profiles-1999-01-01"\)\.$/);
    const twice = await call(server, 'GET', '/v1/openapi.json?dialect=ga&dialect=ga');
    assert.equal(twice.status, 400);
  });

  it('is what `uprof openapi` prints', async () => {
    for (const args of [['--emulator'], ['--emulator', '--dialect', 'user-profiles-2026-03-24']]) {
      const printed = await uprofCli(['openapi', ...args, '--server-url', server.baseURL], server.databaseUrl);
      assert.equal(printed.code, 0, printed.stderr);
      const dialect = args.includes('--dialect') ? `?dialect=${args[args.length - 1]}` : '';
      assert.deepEqual(JSON.parse(printed.stdout), await served(dialect));
    }
    const wrong = await uprofCli(['openapi', '--dialect', 'nope'], server.databaseUrl);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /--dialect: no dialect "nope"; choose one of ga, user-profiles-2026-09-04/);
  });

  it('leaves the emulator controls out where they do not exist', async () => {
    const plain = await startServer(engine);
    try {
      const answer = await call(plain, 'GET', '/v1/openapi.json');
      assert.deepEqual(operations(answer.json).sort(), [...described([...userProfileRoutes, ...webhookRoutes, ...operatorRoutes, ...messageRoutes, ...gatewayOperatorRoutes]), ...OPERATIONS].sort());
    } finally {
      await plain.close();
    }
  });
});
