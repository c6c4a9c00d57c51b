import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { engines } from '../support/engines.ts';
import { freePort } from '../support/processes.ts';
import { call, startServer, type TestServer } from '../support/server.ts';

/*
 * SDK calls through Prism's validating proxy (@stoplight/prism-cli) in front of uprof, with the document of the
 * dialect the calls speak: Prism checks each request and each answer against the document and, with --errors,
 * answers a violation with an error of its own, so the SDK call fails.
 */

const PRISM = fileURLToPath(new URL('../../node_modules/.bin/prism', import.meta.url));
const [engine] = await engines();

interface Proxy {
  baseURL: string;
  child: ChildProcess;
}

/** Starts `prism proxy DOCUMENT UPSTREAM --errors` and waits until it listens. */
async function startPrism(document: string, upstream: string): Promise<Proxy> {
  const port = await freePort();
  const child = spawn(PRISM, ['proxy', document, upstream, '--port', String(port), '--host', '127.0.0.1', '--errors'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Prism did not start in 60 s:\n${output}`)), 60_000);
    const listen = (chunk: Buffer) => {
      output += chunk;
      if (/Prism is listening/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', listen);
    child.stderr!.on('data', listen);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Prism exited ${code}:\n${output}`));
    });
  });
  return { baseURL: `http://127.0.0.1:${port}`, child };
}

describe('SDK calls through a validating proxy (Prism) built from the OpenAPI document', () => {
  let server: TestServer;
  let dir: string;
  const proxies: Proxy[] = [];
  before(async () => {
    server = await startServer(engine);
    dir = mkdtempSync(join(tmpdir(), 'uprof-prism-'));
  });
  after(async () => {
    for (const proxy of proxies) proxy.child.kill();
    rmSync(dir, { recursive: true, force: true });
    await server?.close();
  });

  async function proxyFor(dialect: string): Promise<string> {
    const document = await call(server, 'GET', `/v1/openapi.json?dialect=${dialect}`);
    const file = join(dir, `${dialect}.json`);
    writeFileSync(file, document.text);
    const proxy = await startPrism(file, server.baseURL);
    proxies.push(proxy);
    return proxy.baseURL;
  }

  it('GA: create, retrieve, update, list, action URL, delete; every request and answer keeps the document', async () => {
    const key = await server.newKey();
    const client = new Anthropic({ apiKey: key.api_key, baseURL: await proxyFor('ga'), maxRetries: 0 });
    const created = await client.userProfiles.create({ name: 'Ann', metadata: { plan: 'pro' }, external_user_details: { country: 'DE' } });
    assert.equal((await client.userProfiles.retrieve(created.id)).name, 'Ann');
    assert.equal((await client.userProfiles.update(created.id, { name: 'Bea' })).name, 'Bea');
    const page = await client.userProfiles.list({ limit: 5 });
    assert.deepEqual(page.data.map((p) => p.id), [created.id]);
    const link = await client.userProfiles.actionURLs.create(created.id, { action: { type: 'enroll_end_user' } });
    assert.match(link.url, /enrollment_token=/);
    await client.userProfiles.delete(created.id);
    await assert.rejects(client.userProfiles.retrieve(created.id), (error: any) => error.status === 404 && error.error.type === 'error');
  });

  it('a beta dialect: the beta resource under user-profiles-2026-08-18', async () => {
    const key = await server.newKey();
    const client = new Anthropic({ apiKey: key.api_key, baseURL: await proxyFor('user-profiles-2026-08-18'), maxRetries: 0 });
    const created = await client.beta.userProfiles.create({ name: 'Cy', external_id: 'ref-1' });
    assert.equal(created.external_id, 'ref-1');
    const url = await client.beta.userProfiles.createEnrollmentURL(created.id);
    assert.match(url.url, /\/user-profiles\/enrollment\//);
  });

  it('the inference gateway: a message, its stream, a token count, a batch and its results keep the document', async () => {
    const key = await server.newKey();
    const proxy = await proxyFor('ga');
    const client = new Anthropic({ apiKey: key.api_key, baseURL: proxy, maxRetries: 0 });
    const params = { model: 'claude-test-model', max_tokens: 3, messages: [{ role: 'user' as const, content: 'Hello' }] };
    assert.equal((await client.messages.create(params)).usage.output_tokens, 3);
    assert.equal((await client.messages.stream(params).finalMessage()).usage.output_tokens, 3);
    assert.ok((await client.messages.countTokens({ model: params.model, messages: params.messages })).input_tokens > 0);
    const batch = await client.messages.batches.create({ requests: [{ custom_id: 'one', params }] });
    assert.equal((await client.messages.batches.retrieve(batch.id)).id, batch.id);
    assert.deepEqual((await client.messages.batches.list()).data.map((b) => b.id), [batch.id]);
    server.clock.advance(1000);
    // through the proxy by hand: the SDK reads results_url, which names uprof itself
    const results = await fetch(`${proxy}/v1/messages/batches/${batch.id}/results`, { headers: { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01' } });
    assert.equal(results.status, 200);
    assert.equal(results.headers.get('content-type'), 'application/binary');
    assert.equal(JSON.parse(await results.text()).result.type, 'succeeded');
  });

  it('the proxy does refuse what breaks the document (it is not waving everything through)', async () => {
    const key = await server.newKey();
    const client = new Anthropic({ apiKey: key.api_key, baseURL: await proxyFor('ga'), maxRetries: 0 });
    // uprof would answer this 400 itself; Prism refuses it first, as a request the document does not allow
    const refused = await client.userProfiles.create({ name: 'Ann', unknown_field: 1 } as never).catch((error) => error);
    assert.equal(refused.status, 422);
    assert.match(JSON.stringify(refused.error), /unknown_field|additional propert/i);
  });
});
