/**
 * Sign-out ends a console session on every process, and failed authentication is throttled per client
 * address (http/auth-throttle.ts): unknown API keys on every API and wrong keys at the console sign-in get
 * 401 until the address has spent its budget, then 429 with `retry-after`; valid keys always pass.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { addressKey, FailureThrottle } from '../../src/http/auth-throttle.ts';
import { RateLimitError } from '../../src/errors.ts';
import { engines, POSTGRES_URL } from '../support/engines.ts';
import { startServerProcess, uprofCli, type ServerProcess } from '../support/processes.ts';
import { call, type RawResponse, type TestServer } from '../support/server.ts';
import { describeEachEngine } from '../support/suite.ts';
import { ConsoleClient, csrfOf, newConsoleOrg, signedIn } from './console-client.ts';

const LIMIT = 5;
const WINDOW_MS = 60_000;
const WEBHOOKS = { 'anthropic-beta': 'webhooks-2026-10-07' };

function assertRateLimited(response: RawResponse, what: string) {
  assert.equal(response.status, 429, `${what}: ${response.text}`);
  assert.equal(response.json.type, 'error');
  assert.equal(response.json.error.type, 'rate_limit_error');
  assert.equal(response.headers.get('request-id'), response.json.request_id);
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= WINDOW_MS / 1000, `retry-after ${retryAfter}`);
}

const wrongKey = () => `sk-uprof-api01-${randomUUID().replaceAll('-', '')}`;

describeEachEngine('failed authentication is throttled per address', (server) => {
  // each test starts from a full budget: the clock moves a whole window on
  const refill = () => server().clock.advance(WINDOW_MS);

  it(`${LIMIT} unknown keys get 401, the next 429 with retry-after; a valid key keeps working throughout`, async () => {
    refill();
    const valid = await server().newKey();
    // successes cost nothing
    for (let i = 0; i < 3 * LIMIT; i++) assert.equal((await call(server(), 'GET', '/v1/user_profiles', { key: valid.api_key })).status, 200);
    for (let i = 0; i < LIMIT; i++) {
      const response = await call(server(), 'GET', '/v1/user_profiles', { key: wrongKey() });
      assert.equal(response.status, 401, `failure ${i + 1}: ${response.text}`);
      assert.equal(response.json.error.type, 'authentication_error');
    }
    for (let i = 0; i < 3; i++) assertRateLimited(await call(server(), 'GET', '/v1/user_profiles', { key: wrongKey() }), `failure ${LIMIT + 1 + i}`);
    // the same address, a valid key: served, on every API
    assert.equal((await call(server(), 'GET', '/v1/user_profiles', { key: valid.api_key })).status, 200);
    const created = await call(server(), 'POST', '/v1/user_profiles', { key: valid.api_key, body: { name: 'Still served' } });
    assert.equal(created.status, 200, created.text);
    assert.equal((await call(server(), 'GET', '/v1/organizations/webhooks', { key: valid.api_key, headers: WEBHOOKS })).status, 200);
    // a request without any key is not a guess: still 401
    assert.equal((await call(server(), 'GET', '/v1/user_profiles')).status, 401);
  });

  it('the budget is one per address across the platform, operator and webhooks APIs and the console sign-in', async () => {
    refill();
    const failures: (() => Promise<number>)[] = [
      async () => (await call(server(), 'GET', '/v1/user_profiles', { key: wrongKey() })).status,
      async () => (await call(server(), 'GET', '/v1/operator/review_queue', { key: wrongKey() })).status,
      async () => (await call(server(), 'GET', '/v1/organizations/webhooks', { key: wrongKey(), headers: WEBHOOKS })).status,
      async () => (await new ConsoleClient(server()).signIn(wrongKey())).status,
    ];
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + failures.length; i++) statuses.push(await failures[i % failures.length]());
    assert.deepEqual(statuses, [...Array(LIMIT).fill(401), ...Array(failures.length).fill(429)]);
  });

  it('the budget refills with time: after the window, 401 again', async () => {
    refill();
    for (let i = 0; i < LIMIT; i++) await call(server(), 'GET', '/v1/user_profiles', { key: wrongKey() });
    assertRateLimited(await call(server(), 'GET', '/v1/user_profiles', { key: wrongKey() }), 'spent');
    server().clock.advance(WINDOW_MS / LIMIT + 1); // one attempt's worth
    assert.equal((await call(server(), 'GET', '/v1/user_profiles', { key: wrongKey() })).status, 401);
    assertRateLimited(await call(server(), 'GET', '/v1/user_profiles', { key: wrongKey() }), 'spent again');
  });

  it('console sign-in: wrong keys get the 401 page, then a 429 page with retry-after; a live operator key still signs in', async () => {
    refill();
    const org = await newConsoleOrg(server());
    const browser = new ConsoleClient(server());
    for (let i = 0; i < LIMIT; i++) {
      const page = await browser.signIn(wrongKey());
      assert.equal(page.status, 401);
      assert.match(page.html, /not a live operator key/);
    }
    const throttled = await browser.signIn(org.platform.api_key); // a platform key is a failed sign-in here
    assert.equal(throttled.status, 429);
    assert.match(throttled.html, /<title>Too many attempts<\/title>/);
    assert.match(throttled.html, /try again in \d+ s/);
    assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
    assert.equal(throttled.headers.get('content-security-policy')?.includes("default-src 'none'"), true);
    const operator = await browser.signIn(org.operator.api_key);
    assert.equal(operator.status, 303);
    assert.equal(operator.location, '/console');
    assert.equal((await browser.get('/console')).status, 200);
  });
}, { AUTH_FAILURE_LIMIT: String(LIMIT), AUTH_FAILURE_WINDOW_MS: String(WINDOW_MS) });

describe('FailureThrottle: memory and addresses', () => {
  it('a flood of distinct addresses keeps at most maxAddresses buckets', () => {
    const throttle = new FailureThrottle({ limit: 2, windowMs: 60_000, maxAddresses: 100 }, () => 0);
    for (let i = 0; i < 20_000; i++) throttle.fail(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.equal(throttle.size, 100);
  });

  it('the most recently failing addresses are the ones kept', () => {
    const throttle = new FailureThrottle({ limit: 1, windowMs: 60_000, maxAddresses: 3 }, () => 0);
    throttle.fail('192.0.2.1');
    for (const other of ['192.0.2.2', '192.0.2.3']) throttle.fail(other);
    assert.ok(throttle.fail('192.0.2.1') instanceof RateLimitError, 'still remembered');
    throttle.fail('192.0.2.4'); // pushes out the least recently failing: .2
    assert.ok(!(throttle.fail('192.0.2.2') instanceof RateLimitError), 'forgotten, so a fresh budget');
  });

  it('IPv6 addresses count per /64; IPv4-mapped addresses as IPv4', () => {
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:0db8:0001:0002::'), '2001:db8:1:2::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
    const throttle = new FailureThrottle({ limit: 1, windowMs: 60_000, maxAddresses: 10 }, () => 0);
    throttle.fail('2001:db8:1:2::1');
    assert.ok(throttle.fail('2001:db8:1:2::ffff') instanceof RateLimitError, 'same /64');
    assert.ok(!(throttle.fail('2001:db8:1:3::1') instanceof RateLimitError), 'another /64');
  });

  it('limit 0 turns the throttle off', () => {
    const throttle = new FailureThrottle({ limit: 0, windowMs: 60_000, maxAddresses: 10 }, () => 0);
    for (let i = 0; i < 1000; i++) assert.equal(throttle.fail('192.0.2.1').status, 401);
  });
});

describeEachEngine('console sign-out', (server) => {
  async function signedInWithCopiedCookie(target: TestServer) {
    const org = await newConsoleOrg(target);
    const browser = await signedIn(target, org);
    const thief = new ConsoleClient(target);
    for (const [name, value] of browser.cookies) thief.cookies.set(name, value);
    assert.equal((await thief.get('/console')).status, 200, 'the copied cookie works while the session lasts');
    return { browser, thief };
  }

  it('revokes the session: a copy of the cookie is refused afterwards, and other sessions go on', async () => {
    const { browser, thief } = await signedInWithCopiedCookie(server());
    const other = await signedInWithCopiedCookie(server());
    const page = await browser.get('/console');
    const out = await browser.post('/console/sign-out', { csrf: csrfOf(page.html) });
    assert.equal(out.status, 303);
    for (const path of ['/console', '/console/profiles', '/console/webhooks']) {
      const refused = await thief.get(path);
      assert.equal(refused.status, 303, path);
      assert.equal(refused.location, '/console/sign-in');
    }
    const form = await thief.post('/console/sign-out', { csrf: csrfOf(page.html) });
    assert.equal(form.location, '/console/sign-in', 'its forms are refused too');
    assert.equal((await other.thief.get('/console')).status, 200, 'another session of the same organization is untouched');
  });

  it('signing out records the session until it would have expired, and forgets expired ones', async () => {
    const { browser } = await signedInWithCopiedCookie(server());
    const page = await browser.get('/console');
    await browser.post('/console/sign-out', { csrf: csrfOf(page.html) });
    const rows = await server().store.sql.all<{ expires_at: number }>('SELECT expires_at FROM console_session_revocations');
    assert.ok(rows.length >= 1);
    // nine hours later (sessions last eight), the next sign-out prunes them
    server().clock.advance(9 * 60 * 60 * 1000);
    const later = await signedInWithCopiedCookie(server());
    const laterPage = await later.browser.get('/console');
    await later.browser.post('/console/sign-out', { csrf: csrfOf(laterPage.html) });
    const left = await server().store.sql.all<{ expires_at: number }>('SELECT expires_at FROM console_session_revocations');
    assert.equal(left.length, 1, 'only the latest sign-out is kept');
  });
});

const postgres = (await engines()).find((engine) => engine.name === 'postgres');

describe('console sign-out reaches every process (two servers on one PostgreSQL)', { skip: postgres ? false : `PostgreSQL is not reachable at ${POSTGRES_URL}` }, () => {
  let database: { url: string; drop(): Promise<void> } | undefined;
  let processes: ServerProcess[] = [];

  before(async () => {
    database = await postgres!.createDatabase();
    processes = [await startServerProcess(database.url), await startServerProcess(database.url)];
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
  });

  it('signed out on one process, the cookie is refused by the other on its very next request', async (t) => {
    const minted = await uprofCli(['keys', 'create', '--org', `signout-${randomUUID()}`, '--create-org', '--operator', '--json'], database!.url);
    assert.equal(minted.code, 0, minted.stderr);
    const operatorKey = JSON.parse(minted.stdout.trim().split('\n').pop()!).api_key;
    const [a, b] = processes;
    const onA = new ConsoleClient(a.asServer);
    assert.equal((await onA.signIn(operatorKey)).status, 303);
    const onB = new ConsoleClient(b.asServer);
    for (const [name, value] of onA.cookies) onB.cookies.set(name, value);
    assert.equal((await onB.get('/console')).status, 200, 'the session works on both processes');

    const page = await onA.get('/console');
    const out = await onA.post('/console/sign-out', { csrf: csrfOf(page.html) });
    assert.equal(out.status, 303);
    const answered = performance.now();
    const refused = await onB.get('/console');
    const elapsed = performance.now() - answered;
    assert.equal(refused.status, 303);
    assert.equal(refused.location, '/console/sign-in');
    t.diagnostic(`sign-out reached the other process on its first request after the sign-out answer (${elapsed.toFixed(1)} ms later)`);
  });
});
