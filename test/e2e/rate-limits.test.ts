import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeEachEngine } from '../support/suite.ts';
import { call, type RawResponse, type TestServer } from '../support/server.ts';
import { REDIS_SKIPPED, REDIS_URL } from '../support/redis.ts';
import { mintKey } from '../../src/keys.ts';

/**
 * Issue 15, point 2: a token bucket per key (RATE_LIMIT_RPS, RATE_LIMIT_BURST, a key's own limit), in each
 * process or in Redis (REDIS_URL; a prefix per run so parallel runs never share buckets).
 */

// so slow that no token comes back while a test runs, however loaded the machine: the budget is the burst
const RPS = 0.01;
const BURST = 3;

const limitOf = (answer: RawResponse) => ({
  limit: answer.headers.get('anthropic-ratelimit-requests-limit'),
  remaining: answer.headers.get('anthropic-ratelimit-requests-remaining'),
  reset: answer.headers.get('anthropic-ratelimit-requests-reset'),
});

async function throttledCount(server: TestServer): Promise<number> {
  const text = (await call(server, 'GET', '/metrics', { headers: { 'anthropic-version': null } })).text;
  const match = /^uprof_throttled_requests_total\{reason="rate_limit"\} (\d+)/m.exec(text);
  return match ? Number(match[1]) : 0;
}

/** Sends requests with `apiKey` until one is refused (a key with a fast rate of its own); that 429. */
async function firstRefusal(server: TestServer, apiKey: string): Promise<RawResponse> {
  for (let i = 0; i < 200; i++) {
    const answer = await call(server, 'GET', '/v1/user_profiles', { key: apiKey });
    if (answer.status === 429) return answer;
  }
  throw new Error('never refused');
}

for (const mode of REDIS_SKIPPED ? ['in each process'] as const : ['in each process', 'in Redis'] as const) {
  const shared = mode === 'in Redis';
  const env: Record<string, string> = { RATE_LIMIT_RPS: String(RPS), RATE_LIMIT_BURST: String(BURST) };
  if (shared) Object.assign(env, { REDIS_URL, REDIS_KEY_PREFIX: `uprof-test-${randomBytes(6).toString('hex')}:` });

  describeEachEngine(`rate limits, buckets ${mode}`, (server) => {
    it('every answer of a limited key carries the limit headers; past the burst: 429 with retry-after and retry-after-ms', async () => {
      const { api_key } = await server().newKey();
      const before = await throttledCount(server());
      const started = Date.now();
      const answers: RawResponse[] = [];
      for (let i = 0; i < BURST; i++) answers.push(await call(server(), 'GET', '/v1/user_profiles', { key: api_key }));
      // an error answer counts, and carries the headers too
      answers.push(await call(server(), 'GET', '/v1/user_profiles/uprof_01AAAAAAAAAAAAAAAAAAAAAA', { key: api_key }));
      assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 429]);
      assert.deepEqual(answers.map((a) => limitOf(a).limit), ['3', '3', '3', '3']);
      assert.deepEqual(answers.map((a) => limitOf(a).remaining), ['2', '1', '0', '0']);
      for (const answer of answers) {
        const reset = limitOf(answer).reset!;
        assert.match(reset, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'RFC 3339, to the second');
        // full again within BURST / RPS seconds of the request (rounded up to the second)
        assert.ok(Date.parse(reset) >= started && Date.parse(reset) <= Date.now() + (BURST / RPS) * 1000 + 1000, reset);
      }
      const refused = answers[3];
      assert.equal(refused.json.type, 'error');
      assert.equal(refused.json.error.type, 'rate_limit_error');
      assert.match(refused.json.error.message, /^Rate limit exceeded: this API key may make 0.01 requests per second \(3 at once\)/);
      assert.equal(refused.json.request_id, refused.headers.get('request-id'));
      const waitMs = Number(refused.headers.get('retry-after-ms'));
      assert.ok(waitMs > 0 && waitMs <= 1000 / RPS, `retry-after-ms ${waitMs}`);
      assert.equal(refused.headers.get('retry-after'), String(Math.ceil(waitMs / 1000)));
      assert.ok(Date.parse(limitOf(refused).reset!) - Date.now() > 200_000, 'full again in about 300 s (3 tokens at 0.01 per second)');
      assert.equal(await throttledCount(server()), before + 1, 'counted as throttled{reason="rate_limit"}');
    });

    it('a token is there again after retry-after-ms', async () => {
      // a key of 2 requests per second (its own rate), so that waiting is short
      const { minted } = await keyWithLimit(server(), 2);
      const refused = await firstRefusal(server(), minted.api_key);
      const waitMs = Number(refused.headers.get('retry-after-ms'));
      assert.ok(waitMs > 0 && waitMs <= 500, `retry-after-ms ${waitMs}`);
      if (shared) await sleep(waitMs + 20); // Redis's own clock
      else server().clock.advance(waitMs);
      const after = await call(server(), 'GET', '/v1/user_profiles', { key: minted.api_key });
      assert.equal(after.status, 200, 'a token again after retry-after-ms');
    });

    it('each key has its own bucket; a key of its own limit overrides RATE_LIMIT_RPS, and 0 is none', async () => {
      const first = await server().newKey();
      const second = await server().newKey();
      for (let i = 0; i < BURST; i++) assert.equal((await call(server(), 'GET', '/v1/user_profiles', { key: first.api_key })).status, 200);
      assert.equal((await call(server(), 'GET', '/v1/user_profiles', { key: first.api_key })).status, 429);
      assert.equal((await call(server(), 'GET', '/v1/user_profiles', { key: second.api_key })).status, 200, 'another key is not affected');

      const { minted: unlimited } = await keyWithLimit(server(), 0);
      for (let i = 0; i < BURST * 3; i++) {
        const answer = await call(server(), 'GET', '/v1/user_profiles', { key: unlimited.api_key });
        assert.equal(answer.status, 200);
        assert.equal(limitOf(answer).limit, null, 'an unlimited key gets no limit headers');
      }
      // the first key's refusals wait for the server's rate (100 s a token); a key of 0.02 per second waits 50 s at most
      const slow = Number((await call(server(), 'GET', '/v1/user_profiles', { key: first.api_key })).headers.get('retry-after-ms'));
      assert.ok(slow > 50_000, `retry-after-ms ${slow} at RATE_LIMIT_RPS`);
      const { minted: own } = await keyWithLimit(server(), 0.02);
      const answer = await call(server(), 'GET', '/v1/user_profiles', { key: own.api_key });
      assert.equal(limitOf(answer).limit, String(BURST), 'RATE_LIMIT_BURST sizes every bucket');
      for (let i = 1; i < BURST; i++) await call(server(), 'GET', '/v1/user_profiles', { key: own.api_key });
      const refused = await call(server(), 'GET', '/v1/user_profiles', { key: own.api_key });
      assert.equal(refused.status, 429);
      const wait = Number(refused.headers.get('retry-after-ms'));
      assert.ok(wait > 0 && wait <= 50_000, `retry-after-ms ${wait} at the key's own 0.02 per second`);
    });

    it('operator keys and the webhooks API are limited too', async () => {
      const operator = await server().newKey({ role: 'operator' });
      const platform = await server().newKey();
      const statuses: number[] = [];
      for (let i = 0; i <= BURST; i++) statuses.push((await call(server(), 'GET', '/v1/operator/review_queue', { key: operator.api_key })).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      const hooks = { 'anthropic-beta': 'webhooks-2026-10-07' };
      const webhook: number[] = [];
      for (let i = 0; i <= BURST; i++) webhook.push((await call(server(), 'GET', '/v1/organizations/webhooks', { key: platform.api_key, headers: hooks })).status);
      assert.deepEqual(webhook, [200, 200, 200, 429]);
    });
  }, env);
}

describeEachEngine('no rate limit when RATE_LIMIT_RPS is unset', (server) => {
  it('answers every request, without limit headers, unless a key has a limit of its own', async () => {
    const { api_key } = await server().newKey();
    for (let i = 0; i < 20; i++) {
      const answer = await call(server(), 'GET', '/v1/user_profiles', { key: api_key });
      assert.equal(answer.status, 200);
      assert.equal(limitOf(answer).limit, null);
    }
    const { minted } = await keyWithLimit(server(), 0.01);
    const answer = await call(server(), 'GET', '/v1/user_profiles', { key: minted.api_key });
    assert.equal(limitOf(answer).limit, '1', 'its burst: its rate rounded up');
    assert.equal((await call(server(), 'GET', '/v1/user_profiles', { key: minted.api_key })).status, 429);
  });
});

async function keyWithLimit(server: TestServer, rateLimitRps: number) {
  const minted = await mintKey(server.store, { organization: `limit-${randomBytes(6).toString('hex')}`, createOrganization: true, role: 'platform', rateLimitRps });
  return { minted };
}
