import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { throttled } from '../../src/metrics.ts';
import { engines } from '../support/engines.ts';
import { describeEachEngine } from '../support/suite.ts';
import { call, startServer, type TestServer } from '../support/server.ts';
import { Receiver, waitUntil } from './webhook-receiver.ts';

/**
 * Issue 14, points 1 and 2: GET /healthz, /readyz and /metrics, unauthenticated (metrics: see the access
 * rules), on every engine.
 */

const WEBHOOKS_BETA = 'webhooks-2026-10-07';

/** The value of one sample line of a Prometheus text, or undefined when it is not there. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

async function metrics(server: TestServer, headers: Record<string, string | null> = {}) {
  return call(server, 'GET', '/metrics', { headers: { 'anthropic-version': null, ...headers } });
}

describeEachEngine('health and readiness', (server) => {
  it('GET /healthz answers 200 without a key, with a request-id', async () => {
    const response = await call(server(), 'GET', '/healthz', { headers: { 'anthropic-version': null } });
    assert.equal(response.status, 200);
    assert.deepEqual(response.json, { status: 'ok' });
    assert.match(response.headers.get('request-id') ?? '', /^req_01/);
  });

  it('GET /readyz is 200 with every migration applied, 503 naming the one missing, 200 again once it is back', async () => {
    const ready = await call(server(), 'GET', '/readyz', { headers: { 'anthropic-version': null } });
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.json, { status: 'ready' });

    const sql = server().store.sql;
    const [last] = await sql.all<{ id: string; applied_at: number }>('SELECT id, applied_at FROM schema_migrations ORDER BY id DESC LIMIT 1');
    await sql.run('DELETE FROM schema_migrations WHERE id = ?', [last.id]);
    try {
      const pending = await call(server(), 'GET', '/readyz', { headers: { 'anthropic-version': null } });
      assert.equal(pending.status, 503);
      assert.equal(pending.json.type, 'error');
      assert.equal(pending.json.error.type, 'api_error');
      assert.ok(pending.json.error.message.includes(last.id), pending.json.error.message);
      assert.match(pending.json.error.message, /uprof migrate/);
      assert.equal(pending.json.request_id, pending.headers.get('request-id'));
    } finally {
      await sql.run('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)', [last.id, last.applied_at]);
    }
    assert.equal((await call(server(), 'GET', '/readyz', { headers: { 'anthropic-version': null } })).status, 200);
  });
});

describeEachEngine('metrics on a loopback listener (open)', (server) => {
  let receiver: Receiver;
  before(async () => {
    receiver = await Receiver.start();
  });
  after(async () => {
    await receiver.close();
  });

  it('counts requests by route pattern and status, never by URL', async () => {
    const key = await server().newKey();
    const created = await call(server(), 'POST', '/v1/user_profiles', { key: key.api_key, body: { name: 'Metered' } });
    assert.equal(created.status, 200);
    const id = created.json.id as string;
    const route = { method: 'GET', route: '/v1/user_profiles/:user_profile_id' };
    const before = await metrics(server());
    const count = (text: string, status: string) => sample(text, 'uprof_http_request_duration_seconds_count', { ...route, status }) ?? 0;
    for (let i = 0; i < 3; i++) assert.equal((await call(server(), 'GET', `/v1/user_profiles/${id}`, { key: key.api_key })).status, 200);
    assert.equal((await call(server(), 'GET', '/v1/user_profiles/uprof_nope', { key: key.api_key })).status, 404);
    assert.equal((await call(server(), 'GET', '/no/such/route')).status, 404);
    const after = await metrics(server());
    assert.equal(after.status, 200);
    assert.match(after.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal(count(after.text, '200') - count(before.text, '200'), 3);
    assert.equal(count(after.text, '404') - count(before.text, '404'), 1);
    assert.ok((sample(after.text, 'uprof_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' }) ?? 0) >= 1);
    // the latency buckets add up to the count
    assert.equal(sample(after.text, 'uprof_http_request_duration_seconds_bucket', { ...route, status: '200', le: '+Inf' }), count(after.text, '200'));
    assert.ok(!after.text.includes(id), 'no URL (or id) ever becomes a label');
    assert.ok(!after.text.includes('/no/such/route'));
  });

  it('reports database time, group commit (SQLite), key-cache lookups, and a throttled counter others call', async () => {
    const key = await server().newKey();
    await call(server(), 'POST', '/v1/user_profiles', { key: key.api_key, body: { name: 'Written' } });
    await call(server(), 'GET', '/v1/user_profiles', { key: key.api_key });
    const throttledBefore = sample((await metrics(server())).text, 'uprof_throttled_requests_total', { reason: 'test_reason' }) ?? 0;
    throttled.inc({ reason: 'test_reason' });
    const text = (await metrics(server())).text;
    const engine = server().engine;
    assert.ok((sample(text, 'uprof_db_duration_seconds_count', { engine, kind: 'read' }) ?? 0) > 0, 'reads are timed');
    assert.ok((sample(text, 'uprof_db_duration_seconds_count', { engine, kind: 'write' }) ?? 0) > 0, 'writes are timed');
    if (engine === 'sqlite') assert.ok((sample(text, 'uprof_group_commit_writes_count') ?? 0) > 0, 'group commits are counted');
    assert.ok((sample(text, 'uprof_key_cache_lookups_total', { result: 'miss' }) ?? 0) > 0);
    assert.equal(sample(text, 'uprof_throttled_requests_total', { reason: 'test_reason' }), throttledBefore + 1);
    assert.ok(sample(text, 'process_cpu_seconds_total') !== undefined, 'the process metrics are there too');
  });

  it('SQLite: the served file is checkpointed off the event loop, and the checkpoints are counted', async (t) => {
    if (server().engine !== 'sqlite') return t.skip('SQLite only');
    const key = await server().newKey();
    const passes = (text: string) => sample(text, 'uprof_sqlite_checkpoints_total', { kind: 'pass' }) ?? 0;
    const before = passes((await metrics(server())).text);
    await call(server(), 'POST', '/v1/user_profiles', { key: key.api_key, body: { name: 'Checkpointed' } });
    // a write is followed by a pass within IDLE_CHECKPOINT_MS (1 s); allow a slow machine five
    let after = before;
    for (let waited = 0; after === before && waited < 5000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = passes((await metrics(server())).text);
    }
    assert.ok(after > before, 'a checkpoint pass followed the write');
  });

  it('reports the webhook queue depth and delivery outcomes', async () => {
    const organization = `metrics-${randomUUID()}`;
    const key = await server().newKey({ organization });
    const hooks = { key: key.api_key, headers: { 'anthropic-beta': WEBHOOKS_BETA } };
    const hanging = receiver.newPath();
    const answering = receiver.newPath();
    receiver.script(hanging.path, [], 'hang');
    receiver.script(answering.path, [], 204);
    for (const { url } of [hanging, answering]) {
      const made = await call(server(), 'POST', '/v1/organizations/webhooks', { ...hooks, body: { url, enabled_events: ['user_profile.created'] } });
      assert.equal(made.status, 200, made.text);
    }
    const delivered = async () => sample((await metrics(server())).text, 'uprof_webhook_attempts_total', { outcome: 'delivered' }) ?? 0;
    const deliveredBefore = await delivered();
    for (let i = 0; i < 3; i++) assert.equal((await call(server(), 'POST', '/v1/user_profiles', { key: key.api_key, body: { name: `hooked ${i}` } })).status, 200);
    // three deliveries answered; the three to the hanging receiver stay pending while their attempts hang
    await waitUntil(async () => (await delivered()) - deliveredBefore >= 3, 'three delivered attempts');
    await waitUntil(() => receiver.to(hanging.path).length === 3, 'three attempts at the hanging receiver');
    const pending = await server().store.sql.get<{ n: number | string }>("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE state = 'pending'");
    const text = (await metrics(server())).text;
    assert.equal(sample(text, 'uprof_webhook_pending_deliveries'), Number(pending!.n));
    assert.ok(Number(pending!.n) >= 3);
  });
});

describe('metrics access', async () => {
  const [engine] = await engines();
  let exposed: TestServer;
  let tokened: TestServer;
  before(async () => {
    // HOST names what the server listens on; these servers listen on loopback for the test, but are
    // configured as an exposed server would be
    [exposed, tokened] = await Promise.all([
      startServer(engine, { HOST: '0.0.0.0' }),
      startServer(engine, { HOST: '0.0.0.0', METRICS_TOKEN: 'sesame-metrics-token' }),
    ]);
  });
  after(async () => {
    await Promise.all([exposed?.close(), tokened?.close()]);
  });

  it('off (404) on a non-loopback listener without METRICS_TOKEN', async () => {
    const response = await metrics(exposed);
    assert.equal(response.status, 404);
    assert.equal(response.json.error.type, 'not_found_error');
    assert.equal((await call(exposed, 'GET', '/healthz', { headers: { 'anthropic-version': null } })).status, 200, 'health stays open');
  });

  it('with METRICS_TOKEN: 401 without it or with a wrong one, 200 with it', async () => {
    const none = await metrics(tokened);
    assert.equal(none.status, 401);
    assert.equal(none.json.error.type, 'authentication_error');
    assert.equal((await metrics(tokened, { authorization: 'Bearer sesame-metrics-tokeN' })).status, 401);
    assert.equal((await metrics(tokened, { authorization: 'Bearer sesame-metrics-token-and-more' })).status, 401);
    const right = await metrics(tokened, { authorization: 'Bearer sesame-metrics-token' });
    assert.equal(right.status, 200);
    assert.match(right.text, /# TYPE uprof_http_request_duration_seconds histogram/);
  });
});
