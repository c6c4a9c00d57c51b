import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { beta20260818 } from '../../src/dialects/beta-2026-08-18.ts';
import { ga } from '../../src/dialects/ga.ts';
import { newProfile } from '../../src/domain/profile.ts';
import { retrieveUserProfile } from '../../src/http/routes/user-profiles/retrieve.ts';
import { listUserProfiles } from '../../src/http/routes/user-profiles/list.ts';
import { createEndpoint } from '../../src/http/routes/webhooks/endpoints.ts';
import { newId } from '../../src/ids.ts';
import { renderLocalBatch } from '../../src/gateway/batches.ts';
import { readStubRequest, stubMessage } from '../../src/gateway/stub.ts';
import { batchResults, listBatches } from '../../src/http/routes/messages/batches.ts';
import { countTokens, createMessage } from '../../src/http/routes/messages/messages.ts';
import type { BatchRecord } from '../../src/store/message-batches.ts';
import { ResponseGuard } from '../support/contract-guard.ts';
import { engines } from '../support/engines.ts';
import { FakeUpstream } from '../support/fake-upstream.ts';
import { call, startServer } from '../support/server.ts';

/** The tests' response guard (test/support/contract-guard.ts), fed answers that break their contract. */
describe('response guard', () => {
  const guard = new ResponseGuard();
  const now = Date.parse('2026-09-01T12:00:00Z');
  const profile = newProfile({ name: 'Ann', metadata: { plan: 'pro' } }, newId('uprof', now), 'org_x', now);
  const gaJson = () => JSON.parse(JSON.stringify(ga.render(profile, 'full', now)));

  it('passes an answer as the route renders it, in each dialect', () => {
    assert.equal(guard.violations(retrieveUserProfile.contract, 200, ga, gaJson()), null);
    const beta = JSON.parse(JSON.stringify(beta20260818.render(profile, 'full', now)));
    assert.equal(guard.violations(retrieveUserProfile.contract, 200, beta20260818, beta), null);
    const page = { data: [JSON.parse(JSON.stringify(ga.render(profile, 'list', now)))], next_page: null };
    assert.equal(guard.violations(listUserProfiles.contract, 200, ga, page), null);
  });

  it('refuses a stray field', () => {
    const problem = guard.violations(retrieveUserProfile.contract, 200, ga, { ...gaJson(), relationship: 'external' });
    assert.match(problem ?? '', /must NOT have additional properties.*relationship/);
  });

  it('refuses a missing field (decisions §30: present, null when unset)', () => {
    const { name: _name, ...nameless } = gaJson();
    assert.match(guard.violations(retrieveUserProfile.contract, 200, ga, nameless) ?? '', /must have required property 'name'/);
  });

  it("refuses one dialect's answer under another", () => {
    const beta = JSON.parse(JSON.stringify(beta20260818.render(profile, 'full', now)));
    assert.notEqual(guard.violations(retrieveUserProfile.contract, 200, ga, beta), null);
    assert.notEqual(guard.violations(retrieveUserProfile.contract, 200, beta20260818, gaJson()), null);
  });

  it('refuses a wrong type deep inside, and a full-view program in a list', () => {
    const wrong = gaJson();
    wrong.external_user_details.onboarded_at = 'yesterday';
    assert.match(guard.violations(retrieveUserProfile.contract, 200, ga, wrong) ?? '', /external_user_details\/onboarded_at/);
    const listed = { data: [gaJson()], next_page: null };
    listed.data[0].programs = { cyber: { status: 'active', tiers: { a: { status: 'active' } }, requirements: null }, efs: null };
    assert.notEqual(guard.violations(listUserProfiles.contract, 200, ga, listed), null);
  });

  it('checks every error against the envelope', () => {
    const envelope = { type: 'error', error: { type: 'invalid_request_error', message: 'name: must not be empty.' }, request_id: 'req_1' };
    assert.equal(guard.violations(createEndpoint.contract, 400, null, envelope), null);
    assert.equal(guard.violations(null, 404, null, envelope), null);
    const { request_id: _id, ...withoutId } = envelope;
    assert.match(guard.violations(null, 404, null, withoutId) ?? '', /request_id/);
    assert.notEqual(guard.violations(null, 400, null, { ...envelope, error: { ...envelope.error, type: 'oops' } }), null);
  });

  it('refuses a status the contract does not declare', () => {
    assert.match(guard.violations(createEndpoint.contract, 201, null, {}) ?? '', /status 201/);
  });

  it("passes the gateway's own answers, the upstream's extra fields, and no JSON where a route answers JSON Lines", () => {
    const stub = readStubRequest({ model: 'm', max_tokens: 3, messages: [{ role: 'user', content: 'Hi' }] }, { countTokens: false });
    const message = JSON.parse(JSON.stringify(stubMessage(stub, now)));
    assert.equal(guard.violations(createMessage.contract, 200, null, message), null);
    assert.equal(guard.violations(createMessage.contract, 200, null, { ...message, container: null }), null, 'open: the upstream may add fields');
    assert.match(guard.violations(createMessage.contract, 200, null, { ...message, usage: {} }) ?? '', /usage must have required property 'input_tokens'/);
    assert.equal(guard.violations(countTokens.contract, 200, null, { input_tokens: 12 }), null);
    const record: BatchRecord = {
      organizationId: 'org_x', id: newId('msgbatch', now), workspaceId: 'wrkspc_x', keyId: 'apikey_x', profileId: '', upstream: false,
      requestCount: 1, createdAt: now, endsAt: now + 1000, cancelInitiatedAt: null, localResults: '', meteredAt: null,
    };
    const page = { data: [renderLocalBatch(record, now, 'http://uprof.test')], has_more: false, first_id: record.id, last_id: record.id };
    assert.equal(guard.violations(listBatches.contract, 200, null, JSON.parse(JSON.stringify(page))), null);
    assert.match(guard.violations(listBatches.contract, 200, null, { ...page, next_page: null }) ?? '', /additional properties/, "uprof's own page is closed");
    assert.match(guard.violations(batchResults.contract, 200, null, {}) ?? '', /a JSON answer where the contract declares none/);
  });

  it("guards the gateway's answers too: an upstream Message that breaks the contract fails the request", async () => {
    const [engine] = await engines();
    const fake = await FakeUpstream.start();
    const server = await startServer(engine, { UPSTREAM_URL: fake.url });
    try {
      const key = await server.newKey();
      fake.script.push({ status: 200, body: JSON.stringify({ id: 'msg_fake', type: 'message', role: 'assistant', content: [] }) });
      const body = { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'Hi' }] };
      const answer = await call(server, 'POST', '/v1/messages', { key: key.api_key, body });
      assert.equal(answer.status, 500);
      assert.match(answer.json.error.message, /POST \/v1\/messages → 200 breaks its contract: .*required property 'model'/);
    } finally {
      await assert.rejects(server.close(), /Answers that broke their route's contract:\nPOST \/v1\/messages → 200/);
      await fake.close();
    }
  });

  it('is installed on every test server: a stray field fails the request and the suite', async () => {
    const [engine] = await engines();
    const server = await startServer(engine);
    const render = ga.render;
    try {
      const key = await server.newKey();
      ga.render = (p, view, at) => ({ ...render(p, view, at), stray: true });
      const created = await call(server, 'POST', '/v1/user_profiles', { key: key.api_key, body: { name: 'Ann' } });
      assert.equal(created.status, 500);
      assert.match(created.json.error.message, /^Response contract violated \(test guard\): POST \/v1\/user_profiles → 200 breaks its contract: .*stray/);
    } finally {
      ga.render = render;
      await assert.rejects(server.close(), /Answers that broke their route's contract:\nPOST \/v1\/user_profiles → 200/);
    }
  });
});
