/**
 * The official SDKs' own test suites point the SDK at TEST_API_BASE_URL with the key `my-anthropic-api-key`
 * and call retrieve, update and the enrollment URL on the fixed id `uprof_011CZkZCu8hGbp5mYRQgUmz9`
 * (anthropics/anthropic-sdk-typescript tests/api-resources/beta/user-profiles.test.ts, anthropics/anthropic-sdk-python
 * tests/api_resources/beta/test_user_profiles.py, anthropics/anthropic-sdk-php tests/Services/Beta/UserProfilesTest.php).
 * Here the same calls, with the same key and id, go through the TypeScript SDK (current and 0.107), the Python SDK
 * and the PHP SDK's wire habits to a server started with UPROF_FIXTURES=sdk-examples.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import Anthropic0107 from 'sdk0107';
import { php } from '../support/php.ts';
import { pythonSdk, runPythonChecks, type PythonCheck } from '../support/python.ts';
import { describeEachEngine } from '../support/suite.ts';

const ID = 'uprof_011CZkZCu8hGbp5mYRQgUmz9';
const KEY = 'my-anthropic-api-key';
const BETAS = ['message-batches-2024-09-24'] as any;

const python = await pythonSdk();
const PY_CALLS = [
  'create', 'create with all params', 'raw create', 'streaming create', 'retrieve', 'retrieve with all params', 'raw retrieve',
  'streaming retrieve', 'update', 'update with all params', 'raw update', 'streaming update', 'list', 'raw list', 'streaming list',
  'list with all params (limit=0)', 'enrollment_url', 'enrollment_url with all params', 'raw enrollment_url', 'streaming enrollment_url',
];
const PY_CHECKS = ['sync', 'async'].flatMap((mode) => ['loose', 'strict'].flatMap((strict) => PY_CALLS.map((call) => `${mode} ${strict} ${call}`)));

/** The TypeScript suite's checks of one call: a raw Response, a parsed body, and withResponse giving both. */
async function asTheSuiteChecks<T>(promise: { asResponse(): Promise<Response>; withResponse(): Promise<{ data: T; response: Response }> } & PromiseLike<T>): Promise<T> {
  const rawResponse = await promise.asResponse();
  assert.ok(rawResponse instanceof Response);
  assert.equal(rawResponse.status, 200);
  const response = await promise;
  assert.ok(!(response instanceof Response));
  const dataAndResponse = await promise.withResponse();
  assert.equal(dataAndResponse.data, response);
  assert.equal(dataAndResponse.response, rawResponse);
  return response;
}

describeEachEngine("the official SDK suites' calls, against sdk-examples", (server) => {
  for (const [version, make, NotFoundError] of [
    ['1.14', () => new Anthropic({ apiKey: KEY, baseURL: server().baseURL, maxRetries: 0 }), Anthropic.NotFoundError],
    ['0.107', () => new Anthropic0107({ apiKey: KEY, baseURL: server().baseURL, maxRetries: 0 }), Anthropic0107.NotFoundError],
  ] as const) {
    const profiles = () => make().beta.userProfiles as Anthropic['beta']['userProfiles'];

    it(`TypeScript ${version}: create`, async () => {
      const created = await asTheSuiteChecks(profiles().create({}));
      assert.match(created.id, /^uprof_01/);
    });

    it(`TypeScript ${version}: retrieve the example profile`, async () => {
      const profile: any = await asTheSuiteChecks(profiles().retrieve(ID));
      assert.equal(profile.id, ID);
      assert.equal(profile.name, 'Example User');
      assert.equal(profile.external_id, 'user_12345');
      assert.deepEqual(profile.trust_grants, { cyber: { status: 'active' } });
    });

    it(`TypeScript ${version}: retrieve, request options and params passed (an unknown path is a NotFoundError)`, async () => {
      await assert.rejects(profiles().retrieve(ID, { betas: BETAS }, { path: '/_stainless_unknown_path' }), NotFoundError);
    });

    it(`TypeScript ${version}: update the example profile`, async () => {
      const profile = await asTheSuiteChecks(profiles().update(ID, {}));
      assert.equal(profile.id, ID);
    });

    it(`TypeScript ${version}: list`, async () => {
      const page: any = await asTheSuiteChecks(profiles().list() as any);
      assert.ok(page.data.some((p: any) => p.id === ID));
    });

    it(`TypeScript ${version}: list, request options and params passed (an unknown path is a NotFoundError)`, async () => {
      await assert.rejects(
        profiles().list({ limit: 0, order: 'asc', page: 'page', betas: BETAS } as any, { path: '/_stainless_unknown_path' }),
        NotFoundError,
      );
    });

    it(`TypeScript ${version}: createEnrollmentURL for the example profile`, async () => {
      const link = await asTheSuiteChecks(profiles().createEnrollmentURL(ID));
      assert.equal(link.type, 'enrollment_url');
      assert.equal((await fetch(link.url)).status, 200);
    });

    it(`TypeScript ${version}: createEnrollmentURL, request options and params passed (an unknown path is a NotFoundError)`, async () => {
      await assert.rejects(profiles().createEnrollmentURL(ID, { betas: BETAS }, { path: '/_stainless_unknown_path' }), NotFoundError);
    });
  }

  // the PHP suite: each call parses as its type (the SDK would throw on an error status)
  it('PHP 0.43: create', async () => {
    const created = await php(server(), KEY, 'POST', 'v1/user_profiles', { body: {} });
    assert.equal(created.status, 200, created.text);
    assert.equal(created.json.type, 'user_profile');
  });

  it('PHP 0.43: retrieve the example profile', async () => {
    const profile = await php(server(), KEY, 'GET', `v1/user_profiles/${ID}`);
    assert.equal(profile.status, 200, profile.text);
    assert.equal(profile.json.name, 'Example User');
    assert.equal(profile.json.external_id, 'user_12345');
  });

  it('PHP 0.43: update the example profile', async () => {
    const profile = await php(server(), KEY, 'POST', `v1/user_profiles/${ID}`, { body: {} });
    assert.equal(profile.status, 200, profile.text);
    assert.equal(profile.json.id, ID);
  });

  it('PHP 0.43: list', async () => {
    const page = await php(server(), KEY, 'GET', 'v1/user_profiles');
    assert.equal(page.status, 200, page.text);
    assert.ok(page.json.data.some((p: any) => p.id === ID));
  });

  it('PHP 0.43: createEnrollmentURL for the example profile (a bodyless POST with content-type)', async () => {
    const link = await php(server(), KEY, 'POST', `v1/user_profiles/${ID}/enrollment_url`);
    assert.equal(link.status, 200, link.text);
    assert.equal(link.json.type, 'enrollment_url');
  });

  let checks: Map<string, PythonCheck>;
  let output = '';
  before(async () => {
    if (!python) return;
    const result = await runPythonChecks(python, 'sdk_suite_calls.py', { UPROF_BASE_URL: server().baseURL });
    checks = new Map(result.checks.map((c) => [c.check, c]));
    output = `${result.run.stderr}\n${result.run.stdout}`.slice(-4000);
  });

  it('Python: the script made every call', { skip: !python && 'the Python SDK virtualenv is not available' }, () => {
    assert.deepEqual([...checks.keys()].sort(), [...PY_CHECKS].sort(), output);
  });

  for (const name of PY_CHECKS) {
    it(`Python 1.13.0: ${name}`, { skip: !python && 'the Python SDK virtualenv is not available' }, () => {
      const check = checks.get(name);
      assert.ok(check, `no check ${JSON.stringify(name)} (output: ${output})`);
      assert.ok(check.ok, check.error ?? '');
    });
  }
}, { UPROF_FIXTURES: 'sdk-examples' });
