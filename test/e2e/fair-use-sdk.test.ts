import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { describeEachEngine } from '../support/suite.ts';
import { LossyProxy } from '../support/lossy-proxy.ts';
import { pythonSdk, runPythonChecks, type PythonCheck } from '../support/python.ts';
import { call, type TestServer } from '../support/server.ts';

/**
 * Issue 15, point 3: the official SDK with its default retries (2) against limits and lost answers. Neither
 * SDK sends an idempotency header of its own (`idempotencyHeader` is unset in the TypeScript client, as
 * `_idempotency_header` is in the Python one), but both send a request's headers again on every retry, so
 * `Idempotency-Key` given as a request header makes their retries safe.
 */

describeEachEngine('the SDK with its default retries: lost answers', (server) => {
  let proxy: LossyProxy;
  before(async () => {
    proxy = new LossyProxy(server().baseURL);
    await proxy.start();
  });
  after(async () => proxy?.close());

  const sdk = (apiKey: string) => new Anthropic({ apiKey, baseURL: proxy.url }); // default retries: 2

  it('a create retried after a lost answer, with Idempotency-Key, makes one profile', async () => {
    const { api_key } = await server().newKey();
    const client = sdk(api_key);
    const key = `sdk-${randomUUID()}`;
    proxy.seen.length = 0;
    proxy.lose = 1;
    const profile = await client.userProfiles.create({ name: 'Lost once', metadata: { plan: 'pro' } }, { headers: { 'Idempotency-Key': key } });
    assert.equal(profile.name, 'Lost once');
    const posts = proxy.seen.filter((s) => s.method === 'POST');
    assert.deepEqual(posts.map((s) => [s.status, s.replayed, s.idempotencyKey]), [[null, null, key], [200, 'true', key]],
      'the SDK retried with the same key, and got the kept answer');
    const all = await call(server(), 'GET', '/v1/user_profiles?limit=100', { key: api_key });
    assert.deepEqual(all.json.data.map((p: { id: string }) => p.id), [profile.id], 'exactly one profile');
  });

  it('without a key, the same lost answer makes two profiles (what the key prevents)', async () => {
    const { api_key } = await server().newKey();
    proxy.seen.length = 0;
    proxy.lose = 1;
    await sdk(api_key).userProfiles.create({ name: 'Lost once' });
    const all = await call(server(), 'GET', '/v1/user_profiles?limit=100', { key: api_key });
    assert.equal(all.json.data.length, 2);
  });
});

describeEachEngine('the SDK with its default retries: rate limits', (server: () => TestServer) => {
  it('waits out a 429 for its retry-after-ms, then succeeds', async () => {
    const { api_key } = await server().newKey();
    const trail: { status: number; at: number; retryAfterMs: number | null }[] = [];
    const client = new Anthropic({
      apiKey: api_key,
      baseURL: server().baseURL,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        trail.push({ status: response.status, at: Date.now(), retryAfterMs: Number(response.headers.get('retry-after-ms')) || null });
        return response;
      },
    });
    const created = await client.userProfiles.create({ name: 'Patient' });
    const fetched = await client.userProfiles.retrieve(created.id); // the bucket (one every 2 s, 1 at once) is empty now
    assert.equal(fetched.id, created.id);
    assert.deepEqual(trail.map((t) => t.status), [200, 429, 200]);
    const [, refused, retried] = trail;
    assert.ok(refused.retryAfterMs! > 0 && refused.retryAfterMs! <= 2000, `retry-after-ms ${refused.retryAfterMs}`);
    assert.ok(retried.at - refused.at >= refused.retryAfterMs! - 5, `the SDK waited ${retried.at - refused.at} ms of ${refused.retryAfterMs}`);
  });
}, { RATE_LIMIT_RPS: '0.5', RATE_LIMIT_BURST: '1' });

const python = await pythonSdk();
const PYTHON_CHECKS = ['sync lost answer', 'async lost answer', 'sync 429 waited out', 'async 429 waited out'];

/** The same two habits from the official Python SDK (test/python/sdk_fair_use.py), sync and async. */
describeEachEngine('the Python SDK with its default retries: lost answers and rate limits', (server: () => TestServer) => {
  let proxy: LossyProxy;
  let checks: Map<string, PythonCheck>;
  let output = '';
  before(async () => {
    if (!python) return;
    proxy = new LossyProxy(server().baseURL);
    proxy.loseFirstPerKey = true;
    await proxy.start();
    // one organization: a key without a limit (0: none) for the lost answers, the server's limit for the 429s
    const unlimited = await server().newKey({ rateLimitRps: 0 });
    const limited = await server().newKey();
    const result = await runPythonChecks(python, 'sdk_fair_use.py', {
      UPROF_BASE_URL: server().baseURL, UPROF_API_KEY: unlimited.api_key, UPROF_PROXY_URL: proxy.url,
      UPROF_LIMITED_URL: server().baseURL, UPROF_LIMITED_KEY: limited.api_key,
    });
    checks = new Map(result.checks.map((c) => [c.check, c]));
    output = `${result.run.stderr}\n${result.run.stdout}`.slice(-4000);
  });
  after(async () => proxy?.close());

  for (const name of PYTHON_CHECKS) {
    it(name, { skip: !python && 'the Python SDK virtualenv is not available' }, () => {
      const check = checks.get(name);
      assert.ok(check, `the script reported no check ${JSON.stringify(name)} (output: ${output})`);
      assert.ok(check.ok, check.error ?? '');
    });
  }

  it('the proxy lost one answer per key, and each retry got the kept answer', { skip: !python && 'the Python SDK virtualenv is not available' }, () => {
    const keyed = proxy.seen.filter((s) => s.method === 'POST' && s.idempotencyKey !== null);
    assert.equal(keyed.length, 4, JSON.stringify(keyed));
    for (let i = 0; i < keyed.length; i += 2) {
      assert.deepEqual([keyed[i].status, keyed[i + 1].status, keyed[i + 1].replayed], [null, 200, 'true']);
      assert.equal(keyed[i].idempotencyKey, keyed[i + 1].idempotencyKey);
    }
  });
}, { RATE_LIMIT_RPS: '0.5', RATE_LIMIT_BURST: '1' });
