/**
 * Issue 17: Messages requests through uprof, with the official SDK (`messages.create`, `messages.stream`,
 * `messages.countTokens`, `messages.batches.*`, and the beta clients under `?beta=true`), answered by the stub model
 * (no UPSTREAM_URL) and forwarded to a fake upstream that records what it received.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { STUB_REPLY, STUB_TOKENS } from '../../src/gateway/stub.ts';
import { GATEWAY_BODY_LIMIT } from '../../src/http/routes/messages/index.ts';
import { FakeUpstream, fakeMessage, fakeStreamEvents, fakeUsage } from '../support/fake-upstream.ts';
import { call } from '../support/server.ts';
import { describeEachEngine } from '../support/suite.ts';
import { assertApiError, recordingFetch } from './profile-api.ts';
import { ask, eventually, expectRefusal, gatewayOrg, MODEL, opOk, usageOf } from './gateway-support.ts';

const FAST_FLUSH = { USAGE_FLUSH_MS: '50' };
/** `[null, [{"role":"user","content":"Hello"}], null]` is 45 bytes: ceil(45 / 4) = 12 input tokens (stub.ts) */
const HELLO_INPUT_TOKENS = 12;

describeEachEngine('gateway: the stub model answers when there is no UPSTREAM_URL', (server) => {
  it('messages.create: a deterministic answer with usage by the documented rule, cut at max_tokens', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const full = await org.sdk.messages.create({ model: MODEL, max_tokens: 1000, messages: ask('Hello'), user_profile_id: profile });
    assert.equal(full.type, 'message');
    assert.equal(full.role, 'assistant');
    assert.equal(full.model, MODEL);
    assert.match(full.id, /^msg_01[0-9A-Za-z]{22}$/);
    assert.deepEqual(full.content, [{ type: 'text', text: STUB_REPLY }]);
    assert.equal(full.stop_reason, 'end_turn');
    assert.deepEqual(
      [full.usage.input_tokens, full.usage.output_tokens, full.usage.cache_creation_input_tokens, full.usage.cache_read_input_tokens],
      [HELLO_INPUT_TOKENS, STUB_TOKENS.length, 0, 0],
    );
    const cut = await org.sdk.messages.create({ model: MODEL, max_tokens: 3, messages: ask('Hello'), user_profile_id: profile });
    assert.equal(cut.stop_reason, 'max_tokens');
    assert.equal(cut.usage.output_tokens, 3);
    assert.equal((cut.content[0] as any).text, STUB_TOKENS.slice(0, 3).join(''));
    const exact = await org.sdk.messages.create({ model: MODEL, max_tokens: STUB_TOKENS.length, messages: ask('Hello') });
    assert.equal(exact.stop_reason, 'end_turn', 'max_tokens equal to the reply is not a cut');
  });

  it('messages.stream: the real API\'s events in its order; the final message equals the JSON answer', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const stream = org.sdk.messages.stream({ model: MODEL, max_tokens: 1000, messages: ask('Hello'), user_profile_id: profile });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const final = await stream.finalMessage();
    assert.deepEqual(types, [
      'message_start', 'content_block_start', ...STUB_TOKENS.map(() => 'content_block_delta'), 'content_block_stop', 'message_delta', 'message_stop',
    ]);
    assert.equal((final.content[0] as any).text, STUB_REPLY);
    assert.equal(final.usage.input_tokens, HELLO_INPUT_TOKENS);
    assert.equal(final.usage.output_tokens, STUB_TOKENS.length);
    const raw = await call(server(), 'POST', '/v1/messages', {
      key: org.platform.api_key, body: { model: MODEL, max_tokens: 2, stream: true, messages: ask('Hello') },
    });
    assert.equal(raw.status, 200);
    assert.match(raw.headers.get('content-type')!, /^text\/event-stream/);
    assert.deepEqual([...raw.text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]), [
      'message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ], 'ping after content_block_start, as the API sends it');
  });

  it('messages.countTokens: the same input tokens as the message; billing_policy is ignored there', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const counted = await org.sdk.messages.countTokens({ model: MODEL, messages: ask('Hello'), user_profile_id: profile });
    assert.deepEqual(counted, { input_tokens: HELLO_INPUT_TOKENS });
    const beta = await org.sdk.beta.messages.countTokens({
      model: MODEL, messages: ask('Hello'), billing_policy: { type: 'billing_policy', bill_to: 'user_profile' },
    });
    assert.deepEqual(beta, { input_tokens: HELLO_INPUT_TOKENS }, 'no profile, no billing authorization needed to count');
  });

  it('the beta clients (?beta=true) reach the same routes', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const message = await org.sdk.beta.messages.create({ model: MODEL, max_tokens: 5, messages: ask('Hello'), user_profile_id: profile });
    assert.equal(message.usage.output_tokens, 5);
    const batch = await org.sdk.beta.messages.batches.create({
      requests: [{ custom_id: 'one', params: { model: MODEL, max_tokens: 4, messages: ask('Hello') } }], user_profile_id: profile,
    });
    assert.equal((await org.sdk.beta.messages.batches.retrieve(batch.id)).id, batch.id);
  });

  it('stub validation: what the API refuses outright is a 400 in the envelope (both sides of each limit)', async () => {
    const org = await gatewayOrg(server());
    const send = (body: unknown) => call(server(), 'POST', '/v1/messages', { key: org.platform.api_key, body });
    assertApiError(await send({ max_tokens: 5, messages: ask('x') }), 400, 'invalid_request_error', 'model');
    assertApiError(await send({ model: MODEL, max_tokens: 0, messages: ask('x') }), 400, 'invalid_request_error', 'max_tokens');
    assert.equal((await send({ model: MODEL, max_tokens: 1, messages: ask('x') })).status, 200);
    assertApiError(await send({ model: MODEL, max_tokens: 5, messages: [] }), 400, 'invalid_request_error', 'messages');
    assertApiError(await send({ model: MODEL, max_tokens: 5, messages: [{ role: 'system', content: 'x' }] }), 400, 'invalid_request_error', 'messages.0.role');
    assertApiError(await send([1, 2]), 400, 'invalid_request_error');
    const garbled = await call(server(), 'POST', '/v1/messages', { key: org.platform.api_key, rawBody: '{"model": ' });
    assertApiError(garbled, 400, 'invalid_request_error', 'not valid JSON');
  });

  it('bodies up to 32 MiB (images travel in them); one byte more is a 413 in the envelope', async () => {
    const org = await gatewayOrg(server());
    const sized = (bytes: number) => {
      const frame = JSON.stringify({ model: MODEL, max_tokens: 1, messages: ask('') });
      return frame.replace('"content":""', `"content":"${'x'.repeat(bytes - frame.length)}"`);
    };
    const big = await call(server(), 'POST', '/v1/messages', { key: org.platform.api_key, rawBody: sized(GATEWAY_BODY_LIMIT) });
    assert.equal(big.status, 200, big.text.slice(0, 200));
    const content = GATEWAY_BODY_LIMIT - JSON.stringify({ model: MODEL, max_tokens: 1, messages: ask('') }).length;
    const prompt = JSON.stringify([null, ask(''), null]).length + content;
    assert.equal(big.json.usage.input_tokens, Math.ceil(prompt / 4), 'the whole body was read');
    assertApiError(await call(server(), 'POST', '/v1/messages', { key: org.platform.api_key, rawBody: sized(GATEWAY_BODY_LIMIT + 1) }), 413, 'request_too_large');
  });

  it('batches: in_progress, then ended with results; a conflicting user_profile_id and bill_to user_profile end errored; cancel', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const params = { model: MODEL, max_tokens: 4, messages: ask('Hello') };
    const batch = await org.sdk.messages.batches.create({
      user_profile_id: profile,
      requests: [
        { custom_id: 'plain', params },
        { custom_id: 'same-profile', params: { ...params, user_profile_id: profile } as any },
        { custom_id: 'other-profile', params: { ...params, user_profile_id: await org.newProfile('Other') } as any },
        { custom_id: 'bill-profile', params: { ...params, billing_policy: { type: 'billing_policy', bill_to: 'user_profile' } } as any },
      ],
    });
    assert.match(batch.id, /^msgbatch_01[0-9A-Za-z]{22}$/);
    assert.equal(batch.processing_status, 'in_progress');
    assert.deepEqual(batch.request_counts, { processing: 4, succeeded: 0, errored: 0, canceled: 0, expired: 0 });
    assert.equal(batch.results_url, null);
    await assert.rejects(org.sdk.messages.batches.results(batch.id), /results_url/, 'no results before the end');

    server().clock.advance(1000);
    const ended = await org.sdk.messages.batches.retrieve(batch.id);
    assert.equal(ended.processing_status, 'ended');
    assert.deepEqual(ended.request_counts, { processing: 0, succeeded: 2, errored: 2, canceled: 0, expired: 0 });
    assert.equal(ended.results_url, `${server().baseURL}/v1/messages/batches/${batch.id}/results`);
    const results = new Map<string, any>();
    for await (const result of await org.sdk.messages.batches.results(batch.id)) results.set(result.custom_id, result.result);
    assert.equal(results.get('plain').type, 'succeeded');
    assert.equal(results.get('plain').message.usage.output_tokens, 4);
    assert.equal(results.get('same-profile').type, 'succeeded', 'the same profile as the header is no conflict');
    assert.equal(results.get('other-profile').type, 'errored');
    assert.equal(results.get('other-profile').error.error.type, 'invalid_request_error');
    assert.match(results.get('other-profile').error.error.message, /conflicts with the batch's anthropic-user-profile-id/);
    assert.equal(results.get('bill-profile').type, 'errored');
    assert.match(results.get('bill-profile').error.error.message, /does not support billing a user profile/);

    const unattributed = await org.sdk.messages.batches.create({
      requests: [{ custom_id: 'claims', params: { ...params, user_profile_id: profile } as any }, { custom_id: 'plain', params }],
    });
    server().clock.advance(1000);
    const claims = [];
    for await (const result of await org.sdk.messages.batches.results(unattributed.id)) claims.push([result.custom_id, result.result.type]);
    assert.deepEqual(claims.sort(), [['claims', 'errored'], ['plain', 'succeeded']], 'a batch without the header: a request naming a profile conflicts');

    const toCancel = await org.sdk.messages.batches.create({ requests: [{ custom_id: 'c', params }] });
    const canceling = await org.sdk.messages.batches.cancel(toCancel.id);
    assert.equal(canceling.processing_status, 'canceling');
    assert.ok(canceling.cancel_initiated_at);
    server().clock.advance(1000);
    const canceled = await org.sdk.messages.batches.retrieve(toCancel.id);
    assert.deepEqual([canceled.processing_status, canceled.request_counts.canceled], ['ended', 1]);
    for await (const result of await org.sdk.messages.batches.results(toCancel.id)) assert.equal(result.result.type, 'canceled');
    const listed = [];
    for await (const b of org.sdk.messages.batches.list({ limit: 2 })) listed.push(b.id);
    assert.deepEqual(listed, [toCancel.id, unattributed.id, batch.id], 'newest first, across pages');
  });

  it('batches are the workspace\'s: another organization (or an unknown id) gets 404', async () => {
    const org = await gatewayOrg(server());
    const other = await gatewayOrg(server());
    const batch = await org.sdk.messages.batches.create({ requests: [{ custom_id: 'x', params: { model: MODEL, max_tokens: 1, messages: ask('x') } }] });
    assertApiError(await call(server(), 'GET', `/v1/messages/batches/${batch.id}`, { key: other.platform.api_key }), 404, 'not_found_error');
    assertApiError(await call(server(), 'GET', '/v1/messages/batches/msgbatch_nope', { key: org.platform.api_key }), 404, 'not_found_error');
    const list = await call(server(), 'GET', '/v1/messages/batches', { key: other.platform.api_key });
    assert.deepEqual(list.json, { data: [], has_more: false, first_id: null, last_id: null });
  });

  it('admission is the platform\'s: no key 401, no anthropic-version 400, operator keys 404, admin keys 403', async () => {
    const org = await gatewayOrg(server());
    const body = { model: MODEL, max_tokens: 1, messages: ask('x') };
    assertApiError(await call(server(), 'POST', '/v1/messages', { body }), 401, 'authentication_error');
    assertApiError(await call(server(), 'POST', '/v1/messages', { key: org.platform.api_key, body, headers: { 'anthropic-version': null } }), 400, 'invalid_request_error', 'anthropic-version');
    assertApiError(await call(server(), 'POST', '/v1/messages', { key: org.operator.api_key, body }), 404, 'not_found_error');
    const admin = await server().newKey({ organization: org.name, role: 'admin' });
    assertApiError(await call(server(), 'POST', '/v1/messages', { key: admin.api_key, body }), 403, 'permission_error');
  });

  it('Idempotency-Key: a batch is created once and its answer replayed; a message (maybe a stream) takes no key', async () => {
    const org = await gatewayOrg(server());
    const send = (path: string, body: unknown, key: string) =>
      call(server(), 'POST', path, { key: org.platform.api_key, body, headers: { 'idempotency-key': key } });
    const batchBody = { requests: [{ custom_id: 'once', params: { model: MODEL, max_tokens: 1, messages: ask('x') } }] };
    const first = await send('/v1/messages/batches', batchBody, 'batch-1');
    const again = await send('/v1/messages/batches', batchBody, 'batch-1');
    assert.equal(first.status, 200, first.text);
    assert.equal(again.text, first.text, 'the same batch, byte for byte');
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assertApiError(await send('/v1/messages/batches', { requests: [] }, 'batch-1'), 400, 'invalid_request_error', 'Idempotency-Key');
    const list = await call(server(), 'GET', '/v1/messages/batches', { key: org.platform.api_key });
    assert.deepEqual(list.json.data.map((b: { id: string }) => b.id), [first.json.id], 'one batch made');

    const messageBody = { model: MODEL, max_tokens: 1, messages: ask('x') };
    const one = await send('/v1/messages', messageBody, 'message-1');
    const two = await send('/v1/messages', messageBody, 'message-1');
    assert.notEqual(two.json.id, one.json.id, 'each request runs');
    assert.equal(two.headers.get('idempotent-replayed'), null);
  });
}, FAST_FLUSH);

// ---------------------------------------------------------------------------------------------------------------

const fake = await FakeUpstream.start();
after(() => fake.close());
const UPSTREAM_KEY = 'sk-upstream-secret-0123';

/** What the fake received last, once it has. */
const lastReceived = () => fake.received.at(-1)!;

describeEachEngine('gateway: forwarding to UPSTREAM_URL', (server) => {
  it('messages.create: headers and body go upstream unchanged, minus the attribution, the uprof key and uprof\'s own', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const recorder = recordingFetch();
    const sdk = new Anthropic({
      apiKey: org.platform.api_key, baseURL: server().baseURL, maxRetries: 0, fetch: recorder.fetch,
      defaultHeaders: { 'anthropic-beta': 'prompt-caching-2024-07-31', 'x-custom-thing': 'kept', 'anthropic-workspace-id': org.platform.workspace_id },
    });
    const body = { model: MODEL, max_tokens: 50, messages: ask('Héllo, upstream'), metadata: { user_id: 'u-1' } };
    const answer = await sdk.messages.create({ ...body, user_profile_id: profile }).withResponse();
    const received = lastReceived();
    assert.equal(received.method, 'POST');
    assert.equal(received.url, '/v1/messages');
    assert.deepEqual(JSON.parse(received.body.toString('utf8')), body, 'the body as the SDK sent it');
    assert.equal(received.headers['x-api-key'], UPSTREAM_KEY, 'the upstream gets UPSTREAM_API_KEY');
    assert.equal(received.headers.authorization, undefined);
    assert.ok(!received.body.includes(org.platform.api_key) && !received.rawHeaders.some((v) => v.includes(org.platform.api_key)), 'the uprof key goes nowhere upstream');
    assert.equal(received.headers['anthropic-user-profile-id'], undefined, 'attribution removed');
    assert.ok(!received.rawHeaders.some((v) => v.includes(profile)), 'no uprof profile id anywhere in the headers');
    assert.equal(received.headers['anthropic-workspace-id'], undefined, "uprof's workspace ids stay here");
    assert.equal(received.headers['accept-encoding'], undefined, 'uprof reads usage, so it asks for an uncompressed answer');
    // every other header the SDK sent arrives unchanged
    const sdkSent = recorder.sent.at(-1)!.headers;
    const REMOVED = ['x-api-key', 'authorization', 'anthropic-user-profile-id', 'anthropic-workspace-id', 'accept-encoding', 'connection', 'host', 'content-length'];
    const passed = [...sdkSent.keys()].filter((name) => !REMOVED.includes(name));
    assert.ok(passed.includes('anthropic-version') && passed.includes('anthropic-beta') && passed.includes('x-custom-thing') && passed.includes('x-stainless-retry-count'));
    for (const name of passed) assert.equal(received.headers[name], sdkSent.get(name), `header ${name}`);
    assert.equal(sdkSent.get('anthropic-user-profile-id'), profile, 'the SDK did send the attribution');
    assert.deepEqual(answer.data, fakeMessage(received.body), 'the answer as the upstream gave it');
    assert.equal(answer.response.headers.get('x-fake-upstream'), 'yes', "the upstream's headers pass back");
    assert.equal(answer.response.headers.get('upstream-request-id'), 'req_fake_upstream');
    assert.match(answer.request_id!, /^req_01/, "uprof's own request-id");
  });

  it('the body goes upstream byte for byte (key order, spacing and escapes as sent)', async () => {
    const org = await gatewayOrg(server());
    const raw = '{ "messages":[{"content":"caf\\u00e9 ☕","role":"user"}],\n  "model":"m", "max_tokens":7 }';
    const res = await call(server(), 'POST', '/v1/messages?beta=true', { key: org.platform.api_key, rawBody: raw });
    assert.equal(res.status, 200);
    assert.equal(lastReceived().url, '/v1/messages?beta=true', 'the query too');
    assert.equal(lastReceived().body.toString('utf8'), raw);
    assert.equal(lastReceived().headers['content-length'], String(Buffer.byteLength(raw)));
  });

  it('messages.stream: the events reach the client identical and in order, the first before the upstream sends the rest', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const firstSent = fake.hold();
    const stream = org.sdk.messages.stream({ model: MODEL, max_tokens: 50, messages: ask('Stream me'), user_profile_id: profile });
    const seen: unknown[] = [];
    let first!: () => void;
    const firstSeen = new Promise<void>((resolve) => (first = resolve));
    stream.on('streamEvent', (event) => {
      seen.push(JSON.parse(JSON.stringify(event))); // as it arrived: the SDK builds its message in the first event's object
      first();
    });
    await firstSent;
    await firstSeen; // the upstream holds every later event: the gateway passed the first on without waiting for them
    assert.equal(seen.length, 1);
    fake.release();
    await stream.finalMessage();
    const sent = fakeStreamEvents(lastReceived().body)
      .map((event) => JSON.parse(/^data: (.*)$/m.exec(event)![1]))
      .filter((event) => event.type !== 'ping');
    assert.deepEqual(seen, sent, 'the SDK saw every event the upstream sent, in order');
    assert.equal(lastReceived().headers['anthropic-user-profile-id'], undefined);

    const raw = await call(server(), 'POST', '/v1/messages', { key: org.platform.api_key, body: { model: MODEL, max_tokens: 5, stream: true, messages: ask('raw') } });
    assert.equal(raw.text, fakeStreamEvents(lastReceived().body).join(''), 'byte for byte');
  });

  it('messages.countTokens goes upstream without the attribution', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const counted = await org.sdk.messages.countTokens({ model: MODEL, messages: ask('count'), user_profile_id: profile });
    assert.equal(lastReceived().url, '/v1/messages/count_tokens');
    assert.equal(lastReceived().headers['anthropic-user-profile-id'], undefined);
    assert.deepEqual(counted, { input_tokens: fakeUsage(lastReceived().body).input_tokens });
  });

  it("upstream errors pass through as they are: status, body, retry headers, and the SDK's class", async () => {
    const org = await gatewayOrg(server());
    const envelope = { type: 'error', error: { type: 'rate_limit_error', message: 'upstream says slow down' }, request_id: 'req_upstream_429' };
    fake.script.push({ status: 429, headers: { 'retry-after': '7', 'x-should-retry': 'true' }, body: JSON.stringify(envelope) });
    const limited = await call(server(), 'POST', '/v1/messages', { key: org.platform.api_key, body: { model: MODEL, max_tokens: 1, messages: ask('x') } });
    assert.equal(limited.status, 429);
    assert.equal(limited.text, JSON.stringify(envelope));
    assert.equal(limited.headers.get('retry-after'), '7');
    assert.equal(limited.headers.get('x-should-retry'), 'true');
    assert.equal(limited.headers.get('upstream-request-id'), null, 'the fake sent no request-id header with it');
    const overloaded = { type: 'error', error: { type: 'overloaded_error', message: 'busy' }, request_id: 'req_up_529' };
    fake.script.push({ status: 529, body: JSON.stringify(overloaded) });
    const error: any = await org.sdk.messages.create({ model: MODEL, max_tokens: 1, messages: ask('x') }).catch((e) => e);
    assert.ok(error instanceof Anthropic.OverloadedError, `got ${error?.constructor?.name}`);
    assert.deepEqual(error.error, overloaded);
  });

  it('batches: the header and per-request ids stay here, conflicting requests end errored here; results read through uprof', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const params = { model: MODEL, max_tokens: 4, messages: ask('batch') };
    const batch = await org.sdk.messages.batches.create({
      user_profile_id: profile,
      requests: [
        { custom_id: 'a', params },
        { custom_id: 'b', params: { ...params, user_profile_id: profile } as any },
        { custom_id: 'c', params: { ...params, user_profile_id: 'uprof_somebody_else' } as any },
      ],
    });
    const sent = lastReceived();
    assert.equal(sent.headers['anthropic-user-profile-id'], undefined);
    assert.deepEqual(JSON.parse(sent.body.toString('utf8')), {
      requests: [{ custom_id: 'a', params }, { custom_id: 'b', params }],
    }, 'the conflicting request stays here, the agreeing one goes without its user_profile_id');
    assert.match(batch.id, /^msgbatch_fake/);
    assert.deepEqual(batch.request_counts, { processing: 3, succeeded: 0, errored: 0, canceled: 0, expired: 0 });

    const ended = await org.sdk.messages.batches.retrieve(batch.id);
    assert.deepEqual(ended.request_counts, { processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 0 });
    assert.equal(ended.results_url, `${server().baseURL}/v1/messages/batches/${batch.id}/results`, 'results are read through uprof');
    const results = [];
    for await (const r of await org.sdk.messages.batches.results(batch.id)) results.push([r.custom_id, r.result.type]);
    assert.deepEqual(results, [['a', 'succeeded'], ['b', 'succeeded'], ['c', 'errored']]);
    assert.equal(lastReceived().url, `/v1/messages/batches/${batch.id}/results`);
    assert.equal(lastReceived().headers['x-api-key'], UPSTREAM_KEY);

    const unchanged = JSON.stringify({ requests: [{ custom_id: 'z', params }] });
    assert.equal((await call(server(), 'POST', '/v1/messages/batches', { key: org.platform.api_key, rawBody: unchanged })).status, 200);
    assert.equal(lastReceived().body.toString('utf8'), unchanged, 'nothing to remove: byte for byte');
    const listed = [];
    for await (const b of org.sdk.messages.batches.list()) listed.push([b.id, b.processing_status]);
    assert.equal(listed.length, 2);
    const canceled = await org.sdk.messages.batches.cancel(batch.id);
    assert.equal(canceled.processing_status, 'canceling');
    assert.equal(lastReceived().url, `/v1/messages/batches/${batch.id}/cancel`);
  });

  it('refusals never reach the upstream', async () => {
    const org = await gatewayOrg(server());
    const before = fake.received.length;
    await expectRefusal(org.sdk.messages.create({ model: MODEL, max_tokens: 1, messages: ask('x'), user_profile_id: 'uprof_unknown' }),
      400, 'invalid_request_error', 'user_profile_not_found');
    await expectRefusal(org.sdk.beta.messages.create({ model: MODEL, max_tokens: 1, messages: ask('x'), billing_policy: { type: 'billing_policy', bill_to: 'user_profile' } }),
      400, 'invalid_request_error', 'user_profile_required');
    assert.equal(fake.received.length, before);
  });

  it('the usage of forwarded answers is metered from their usage, the final message_delta of a stream included', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    await org.sdk.messages.create({ model: MODEL, max_tokens: 5, messages: ask('json'), user_profile_id: profile });
    const json = fakeUsage(lastReceived().body);
    await org.sdk.messages.stream({ model: MODEL, max_tokens: 5, messages: ask('stream'), user_profile_id: profile }).finalMessage();
    const streamed = fakeUsage(lastReceived().body);
    await org.sdk.messages.countTokens({ model: MODEL, messages: ask('count'), user_profile_id: profile });
    await eventually(async () => {
      const { totals } = await usageOf(org, profile);
      assert.deepEqual(totals, {
        requests: 3, messages: 2, count_tokens: 1, batch_requests: 0,
        input_tokens: json.input_tokens + streamed.input_tokens,
        output_tokens: json.output_tokens + streamed.output_tokens,
        cache_creation_input_tokens: json.cache_creation_input_tokens + streamed.cache_creation_input_tokens,
        cache_read_input_tokens: json.cache_read_input_tokens + streamed.cache_read_input_tokens,
        refusals: {},
      });
    });
    await opOk(org, 'GET', `/user_profiles/${profile}/usage`);
  });
}, { ...FAST_FLUSH, UPSTREAM_URL: fake.url, UPSTREAM_API_KEY: UPSTREAM_KEY });

const unreachable = { ...FAST_FLUSH, UPSTREAM_URL: 'http://127.0.0.1:9', UPSTREAM_TIMEOUT_MS: '5000' };
describeEachEngine('gateway: an upstream that cannot be reached', (server) => {
  it('is a 502 api_error in the envelope, and counts as a request', async () => {
    const org = await gatewayOrg(server());
    const res = await call(server(), 'POST', '/v1/messages', { key: org.platform.api_key, body: { model: MODEL, max_tokens: 1, messages: ask('x') } });
    assertApiError(res, 502, 'api_error', 'could not be reached');
    await eventually(async () => assert.equal((await usageOf(org, null)).totals.messages, 1));
  });
}, unreachable);
