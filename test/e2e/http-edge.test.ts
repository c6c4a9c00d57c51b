/**
 * The HTTP edge, over raw sockets: what Node refuses before any route runs (malformed HTTP, headers over
 * 16 KB, no Host), slow clients (headers and bodies trickled), the connection cap, and shutting down. Every
 * answer is Anthropic's envelope with a `request-id` and `connection: close`. No timing assertions: the
 * tests wait for conditions, with generous deadlines.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { engines } from '../support/engines.ts';
import { exchange, openSocket, parseResponses, requestBytes, type RawHttpResponse } from '../support/raw-http.ts';
import { call, startServer, type TestServer } from '../support/server.ts';
import { describeEachEngine } from '../support/suite.ts';

const REQUEST_ID = /^req_01[0-9A-Za-z]{22}$/;

/** The envelope, its request-id header, and the connection closed after it. */
function assertClosingEnvelope(response: RawHttpResponse | undefined, status: number, type: string, what: string) {
  assert.ok(response, `${what}: an answer`);
  assert.equal(response.status, status, `${what}: ${response.body}`);
  assert.deepEqual(Object.keys(response.json ?? {}).sort(), ['error', 'request_id', 'type'], `${what}: ${response.body}`);
  assert.equal(response.json.type, 'error');
  assert.equal(response.json.error.type, type, what);
  assert.ok(response.json.error.message.length > 0);
  assert.match(response.json.request_id, REQUEST_ID, what);
  assert.equal(response.headers['request-id'], response.json.request_id, what);
  assert.equal(response.headers.connection, 'close', `${what}: connection: close`);
  assert.match(response.headers['content-type'], /^application\/json/);
}

/** Resolves once `predicate` holds, checking every 50 ms; fails after `timeoutMs`. */
async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A connection that records what the server sends and when it closes. */
async function watched(baseURL: string): Promise<{ socket: Socket; received: () => Buffer; closed: () => boolean }> {
  const socket = await openSocket(baseURL);
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  return { socket, received: () => Buffer.concat(chunks), closed: () => closed };
}

describeEachEngine('HTTP edge: malformed requests', (server) => {
  const malformed: [string, string | Buffer, number, string][] = [
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n', 400, 'invalid_request_error'],
    ['an unknown method token', 'GE@T /v1/user_profiles HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'invalid_request_error'],
    ['an unsupported HTTP version', 'GET /v1/user_profiles HTTP/7.1\r\nHost: x\r\n\r\n', 400, 'invalid_request_error'],
    ['Content-Length and Transfer-Encoding together',
      requestBytes('POST', '/v1/user_profiles', { 'content-type': 'application/json', 'content-length': '7', 'transfer-encoding': 'chunked' }, '2\r\n{}\r\n0\r\n\r\n'), 400, 'invalid_request_error'],
    ['a chunk size that is not hexadecimal',
      requestBytes('POST', '/v1/user_profiles', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, 'zz\r\n{}\r\n0\r\n\r\n'), 400, 'invalid_request_error'],
    ['a NUL byte in a header value', Buffer.from('GET /v1/user_profiles HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n', 'latin1'), 400, 'invalid_request_error'],
    ['a space before a header colon', 'GET /v1/user_profiles HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n', 400, 'invalid_request_error'],
    ['two different Content-Lengths', requestBytes('POST', '/v1/user_profiles', { 'content-length': '2', 'Content-Length': '3' }, '{}'), 400, 'invalid_request_error'],
    ['no Host (HTTP/1.1 requires one)', requestBytes('GET', '/v1/user_profiles', { 'anthropic-version': '2023-06-01' }, '', { host: null }), 400, 'invalid_request_error'],
    ['headers over 16 KB', requestBytes('GET', '/v1/user_profiles', { 'x-padding': 'a'.repeat(17 * 1024) }), 431, 'invalid_request_error'],
    ['many headers over 16 KB together', requestBytes('GET', '/v1/user_profiles', Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`x-h${i}`, 'v'.repeat(40)]))), 431, 'invalid_request_error'],
  ];

  for (const [what, bytes, status, type] of malformed) {
    it(`${what} → ${status} in the envelope, connection: close, and the server closes`, async () => {
      const result = await exchange(server().baseURL, bytes, { timeoutMs: 20_000 });
      assert.equal(result.responses.length, 1, `${what}: exactly one answer (got ${result.responses.length}; rest ${JSON.stringify(result.rest.slice(0, 200))})`);
      assertClosingEnvelope(result.responses[0], status, type, what);
      assert.ok(result.closedByServer, `${what}: the server closed the connection`);
    });
  }

  it('headers of 16 KB minus a little are still served (the limit has two sides)', async () => {
    const key = await server().newKey();
    const head = requestBytes('GET', '/v1/user_profiles', { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01', connection: 'close', 'x-padding': '' });
    const padding = 16 * 1024 - head.length - 64;
    const bytes = requestBytes('GET', '/v1/user_profiles', { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01', connection: 'close', 'x-padding': 'a'.repeat(padding) });
    const [response] = (await exchange(server().baseURL, bytes)).responses;
    assert.equal(response.status, 200, response.body);
  });

  it('an HTTP/1.0 request without Host is served (only HTTP/1.1 requires it)', async () => {
    const key = await server().newKey();
    const [response] = (await exchange(server().baseURL, `GET /v1/user_profiles HTTP/1.0\r\nx-api-key: ${key.api_key}\r\nanthropic-version: 2023-06-01\r\n\r\n`)).responses;
    assert.equal(response.status, 200, response.body);
  });

  it('after a 431 the client is told to close, so its next request goes out on a new connection and succeeds', async () => {
    const key = await server().newKey();
    // fetch keeps connections alive; the 431 must not poison the pool
    const big = await fetch(`${server().baseURL}/v1/user_profiles`, { headers: { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01', 'x-padding': 'a'.repeat(20_000) } });
    assert.equal(big.status, 431);
    assert.equal(big.headers.get('connection'), 'close');
    const json: any = await big.json();
    assert.equal(json.request_id, big.headers.get('request-id'));
    for (let i = 0; i < 3; i++) {
      const next = await call(server(), 'GET', '/v1/user_profiles', { key: key.api_key });
      assert.equal(next.status, 200, next.text);
    }
  });

  it('a request pipelined after a good one on the same connection: the good one is answered, the bad one in the envelope', async () => {
    const key = await server().newKey();
    const good = requestBytes('GET', '/v1/user_profiles', { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01' });
    const result = await exchange(server().baseURL, Buffer.concat([good, Buffer.from('GARBAGE\r\n\r\n')]), { timeoutMs: 20_000 });
    assert.equal(result.responses.length, 2, JSON.stringify(result.responses.map((r) => r.status)));
    assert.equal(result.responses[0].status, 200);
    assertClosingEnvelope(result.responses[1], 400, 'invalid_request_error', 'pipelined garbage');
  });
});

describeEachEngine('HTTP edge: slow clients and the connection cap', (server) => {
  it('a slow header and a slow body are cut with a 408 in the envelope, while a normal client is served throughout', async () => {
    const key = await server().newKey();
    const headerTrickler = await watched(server().baseURL);
    headerTrickler.socket.write('GET /v1/user_profiles HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const bodyTrickler = await watched(server().baseURL);
    bodyTrickler.socket.write(requestBytes('POST', '/v1/user_profiles', {
      'x-api-key': key.api_key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'content-length': '1000',
    }, '{"name":"'));
    const silent = await watched(server().baseURL); // connects and sends nothing at all
    const trickle = setInterval(() => {
      if (!headerTrickler.closed()) headerTrickler.socket.write('a');
      if (!bodyTrickler.closed()) bodyTrickler.socket.write('a');
    }, 100);
    try {
      let served = 0;
      await waitFor('every slow connection to be cut', async () => {
        const response = await call(server(), 'GET', '/v1/user_profiles', { key: key.api_key });
        assert.equal(response.status, 200, response.text);
        served++;
        return headerTrickler.closed() && bodyTrickler.closed() && silent.closed();
      });
      assert.ok(served > 0);
    } finally {
      clearInterval(trickle);
    }
    for (const [what, connection] of [['slow header', headerTrickler], ['slow body', bodyTrickler], ['silent', silent]] as const) {
      const { responses } = parseResponses(connection.received());
      assert.equal(responses.length, 1, `${what}: one answer`);
      assertClosingEnvelope(responses[0], 408, 'invalid_request_error', what);
      assert.match(responses[0].json.error.message, /not received in time/);
    }
    // the body never arrived, so nothing was created
    const listed = await call(server(), 'GET', '/v1/user_profiles', { key: key.api_key });
    assert.deepEqual(listed.json.data, []);
  });

  it('more slow connections than the cap: the longest-waiting are reclaimed and a normal client is still served', async () => {
    const key = await server().newKey();
    const slow: Awaited<ReturnType<typeof watched>>[] = [];
    for (let i = 0; i < 60; i++) {
      const connection = await watched(server().baseURL);
      connection.socket.write('GET /v1/user_profiles HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      slow.push(connection);
    }
    // 60 slow ones against a cap of 20: the 40 oldest are reclaimed as the newer ones arrive
    await waitFor('the oldest slow connections to be reclaimed', () => slow.filter((c) => c.closed()).length >= 40);
    for (let i = 0; i < 10; i++) {
      const response = await call(server(), 'GET', '/v1/user_profiles', { key: key.api_key });
      assert.equal(response.status, 200, response.text);
    }
    await waitFor('every slow connection to be gone', () => slow.every((c) => c.closed()));
    for (const connection of slow) connection.socket.destroy();
  });

  it('at the cap with every connection busy, a new one is refused at once with a 503 in the envelope', async () => {
    const key = await server().newKey();
    // 20 connections each with a request whose body is still arriving: busy, not reclaimable. `expect:
    // 100-continue` makes the server say when a request has reached its route (the connection is busy from then on).
    const busy: Awaited<ReturnType<typeof watched>>[] = [];
    for (let i = 0; i < 20; i++) {
      const connection = await watched(server().baseURL);
      connection.socket.write(requestBytes('POST', '/v1/user_profiles', {
        'x-api-key': key.api_key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'content-length': '100', expect: '100-continue',
      }));
      await waitFor('100 Continue', () => connection.received().includes('100 Continue'));
      connection.socket.write('{"na');
      busy.push(connection);
    }
    try {
      const result = await exchange(server().baseURL, requestBytes('GET', '/v1/user_profiles', { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01' }), { expect: 1 });
      const [refusal] = result.responses;
      assertClosingEnvelope(refusal, 503, 'overloaded_error', 'at the cap');
      assert.equal(refusal!.headers['retry-after'], '1');
    } finally {
      for (const connection of busy) connection.socket.destroy();
    }
    // once they are gone, normal service
    await waitFor('service after the busy connections closed', async () => (await call(server(), 'GET', '/v1/user_profiles', { key: key.api_key })).status === 200);
  });
}, { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_MAX_CONNECTIONS: '20' });

const [firstEngine] = await engines();

describe('HTTP edge: shutting down', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(firstEngine);
  });
  after(async () => {
    await server.close().catch(() => {});
  });

  it('a request that arrives on an open connection while the server closes → 503 overloaded_error in the envelope, connection: close, retry-after', async () => {
    const key = await server.newKey();
    // a request half-sent: the connection is not idle, so close() leaves it open
    const connection = await watched(server.baseURL);
    connection.socket.write(`GET /v1/user_profiles HTTP/1.1\r\nHost: x\r\nx-api-key: ${key.api_key}\r\n`);
    await sleep(50);
    const closing = server.app.close();
    await waitFor('the server to stop accepting connections', () => openSocket(server.baseURL).then((s) => (s.destroy(), false), () => true));
    connection.socket.write('anthropic-version: 2023-06-01\r\n\r\n');
    await waitFor('the answer', () => parseResponses(connection.received()).responses.length > 0);
    const [response] = parseResponses(connection.received()).responses;
    assertClosingEnvelope(response, 503, 'overloaded_error', 'while closing');
    assert.ok(Number(response.headers['retry-after']) >= 1);
    assert.equal(response.headers['x-should-retry'], undefined, 'a retry is what the client should do');
    await closing;
  });
});
