/**
 * The official Python SDK (anthropic==1.13.0, from the virtualenv `.ci/run` makes) against a real uprof
 * server on every engine: test/python/sdk_user_profiles.py drives each of its user-profile methods, sync and
 * async, with strict response validation, in each dialect it can speak, and reports one result per check;
 * each check is one test here. Its habit the server must meet: `content-type: application/json` on every
 * non-GET request, bodyless ones (create_enrollment_url, delete) included (decisions §35).
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { pythonSdk, runPythonChecks, type PythonCheck } from '../support/python.ts';
import { describeEachEngine } from '../support/suite.ts';

const python = await pythonSdk();

const MODES = ['sync', 'async'];
const DIALECTS = ['08-18', '09-04', '03-24'];
const PER_DIALECT = ['create', 'retrieve', 'update', 'list pagination', 'enrollment_url', 'wire habits'];
const PER_MODE = ['errors', 'action_urls (generic post)', 'GA retrieve (generic get)', 'delete (generic delete)'];
export const PYTHON_CHECKS = MODES.flatMap((mode) => [
  ...DIALECTS.flatMap((dialect) => PER_DIALECT.map((op) => `${mode} ${dialect} ${op}`)),
  ...PER_MODE.map((op) => `${mode} ${op}`),
]);

describeEachEngine('the Python SDK (anthropic 1.13.0)', (server) => {
  let checks: Map<string, PythonCheck>;
  let output = '';
  before(async () => {
    if (!python) return;
    const key = await server().newKey();
    const result = await runPythonChecks(python, 'sdk_user_profiles.py', { UPROF_BASE_URL: server().baseURL, UPROF_API_KEY: key.api_key });
    checks = new Map(result.checks.map((c) => [c.check, c]));
    output = `${result.run.stderr}\n${result.run.stdout}`.slice(-4000);
  });

  it('runs every check of the script', { skip: !python && 'the Python SDK virtualenv is not available' }, () => {
    assert.deepEqual([...checks.keys()].sort(), [...PYTHON_CHECKS].sort(), `the script's checks (output: ${output})`);
  });

  for (const name of PYTHON_CHECKS) {
    it(name, { skip: !python && 'the Python SDK virtualenv is not available' }, () => {
      const check = checks.get(name);
      assert.ok(check, `the script reported no check ${JSON.stringify(name)} (output: ${output})`);
      assert.ok(check.ok, check.error ?? '');
    });
  }
});
