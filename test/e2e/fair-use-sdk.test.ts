import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { describeEachEngine } from '../support/suite.ts';
import { call, type TestServer } from '../support/server.ts';

/**
 * Issue 15, point 3: the official SDK with its default retries (2) against limits and lost answers. Neither
 * SDK sends an idempotency header of its own (`idempotencyHeader` is unset in the TypeScript client, as
 * `_idempotency_header` is in the Python one), but both send a request's headers again on every retry, so
 * `Idempotency-Key` given as a request header makes their retries safe.
 */

interface Seen {
  method: string;
  status: number | null;
  replayed: string | null;
  idempotencyKey: string | null;
}

/**
 * A proxy between the SDK and uprof that can lose answers: it forwards each request, and for the next `lose`
 * POSTs reads uprof's whole answer and then drops the client's connection instead of passing it on.
 */
class LossyProxy {
  lose = 0;
  readonly seen: Seen[] = [];
  private server: Server | null = null;
  url = '';

  constructor(private readonly upstream: string) {}

  async start(): Promise<void> {
    this.server = createServer((request, response) => void this.forward(request, response).catch(() => request.socket.destroy()));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Forwards one request to uprof; while `lose` lasts, a POST's answer is dropped on the way back. */
  private async forward(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || ['host', 'connection', 'content-length', 'keep-alive'].includes(name)) continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const answer = await fetch(this.upstream + request.url, {
      method: request.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    const body = Buffer.from(await answer.arrayBuffer());
    const seen: Seen = {
      method: request.method!, status: answer.status, replayed: answer.headers.get('idempotent-replayed'),
      idempotencyKey: headers['idempotency-key'] ?? null,
    };
    this.seen.push(seen);
    if (request.method === 'POST' && this.lose > 0) {
      this.lose--;
      seen.status = null; // uprof answered; the client never hears it
      request.socket.destroy();
      return;
    }
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!['content-length', 'connection', 'keep-alive', 'transfer-encoding', 'content-encoding'].includes(name)) out[name] = value;
    });
    response.writeHead(answer.status, out).end(body);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

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
